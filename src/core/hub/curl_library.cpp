#include "core/hub/curl_library.hpp"

#include "core/util/shared_library.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace tabagent::hub {
namespace {

#ifdef __APPLE__
#define TABAGENT_LIBCURL_NAMES "libcurl.4.dylib", "libcurl.dylib"
#else
#define TABAGENT_LIBCURL_NAMES "libcurl.so.4", "libcurl-gnutls.so.4"
#endif

struct Loaded {
    std::optional<util::SharedLibrary> library;
    CurlApi api;
    std::optional<Error> error;
    bool initialised = false;
};

Loaded load() {
    Loaded loaded;
    auto library = util::SharedLibrary::open({TABAGENT_LIBCURL_NAMES});
    if (!library) {
        loaded.error = Error{ErrorCode::internal, "libcurl is not installed (" + library.error().message + ")", {}};
        return loaded;
    }
#define TABAGENT_CURL_RESOLVE(fn)                                                                        \
    loaded.api.fn = reinterpret_cast<decltype(loaded.api.fn)>(library->symbol("curl_" #fn));             \
    if (!loaded.api.fn) {                                                                                \
        loaded.error = Error{ErrorCode::internal, library->name() + " lacks curl_" #fn, {}};             \
        return loaded;                                                                                   \
    }
    TABAGENT_CURL_FUNCTIONS(TABAGENT_CURL_RESOLVE)
#undef TABAGENT_CURL_RESOLVE
    if (CURLcode rc = loaded.api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
        loaded.error = Error{ErrorCode::internal, std::string("curl_global_init failed: ") + loaded.api.easy_strerror(rc), {}};
        return loaded;
    }
    loaded.initialised = true;
    loaded.library = std::move(*library);
    spdlog::debug("loaded {}", loaded.library->name());
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
