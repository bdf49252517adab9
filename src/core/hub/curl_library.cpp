#include "core/hub/curl_library.hpp"

#include "core/hub/curl_binding.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace tabagent::hub {
namespace {

struct Loaded {
    CurlApi api;
    std::string name;
    std::optional<Error> error;
    bool initialised = false;
};

Loaded load() {
    Loaded loaded;
    if (auto bound = detail::bind_curl(loaded.api, loaded.name); !bound) {
        loaded.error = bound.error();
        return loaded;
    }
    if (CURLcode rc = loaded.api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
        loaded.error = Error{ErrorCode::internal, std::string("curl_global_init failed: ") + loaded.api.easy_strerror(rc), {}};
        return loaded;
    }
    loaded.initialised = true;
    spdlog::debug("loaded {}", loaded.name);
    return loaded;
}

// Function-local static: initialised exactly once, by the first caller, whatever the thread.
Loaded& state() {
    static Loaded loaded = load();
    return loaded;
}

std::atomic<bool> g_loaded_once{false}; // lets ~CurlSession skip loading what was never used

} // namespace

Result<const CurlApi*> load_curl() {
    Loaded& loaded = state();
    g_loaded_once.store(true, std::memory_order_release);
    if (loaded.error) return tl::unexpected(*loaded.error);
    return &loaded.api;
}

const CurlApi& curl() {
    auto api = load_curl();
    if (!api) {
        spdlog::critical("{}", api.error().message);
        std::fprintf(stderr, "tabagent: %s\n", api.error().message.c_str());
        std::abort();
    }
    return **api;
}

CurlSession::~CurlSession() {
    if (!g_loaded_once.load(std::memory_order_acquire)) return;
    if (Loaded& loaded = state(); loaded.initialised) {
        loaded.api.global_cleanup();
        loaded.initialised = false;
    }
}

} // namespace tabagent::hub
