// Paths the host reports to clients use one separator, the platform's preferred one: on Windows a
// repo file joined onto the cache root would otherwise come out as "...\<commit>\onnx/model.onnx".
#include "cache_test_util.hpp"

#include "core/config.hpp"
#include "host/actions.hpp"
#include "host/context.hpp"
#include "host/router.hpp"
#include "host/services.hpp"
#include "host/writer.hpp"

#include <doctest/doctest.h>

using namespace cache_test;
using namespace tabagent;

namespace {
// The separator this platform prefers and the one it must never report.
const char k_preferred = static_cast<char>(fs::path::preferred_separator);
const char k_other = k_preferred == '/' ? '\\' : '/';

std::string joined(std::initializer_list<const char*> parts) {
    std::string out;
    for (const char* p : parts) out += (out.empty() ? "" : std::string(1, k_preferred)) + p;
    return out;
}
} // namespace

TEST_CASE("platform: reported_path turns every separator into the preferred one") {
    const auto root = fs::path("cache") / "snapshots";
    auto text = platform::reported_path(root / platform::u8path("onnx/model.onnx"));
    CHECK(text == joined({"cache", "snapshots", "onnx", "model.onnx"}));
    CHECK(text.find(k_other) == std::string::npos);
    CHECK(platform::reported_path(platform::u8path("caf\xc3\xa9/x")) == joined({"caf\xc3\xa9", "x"}));
}

TEST_CASE("host: get_file_path reports the file of onnx/model.onnx with the preferred separator only") {
    TempDir tmp;
    Config config;
    config.cache_root = tmp.path() / "cache";
    config.data_dir = tmp.path() / "home";
    config.endpoint = "http://127.0.0.1:9";
    config.offline = true;
    config.auto_resume_jobs = false;
    const Store store(config.cache_root);
    put(store, "org/model", k_commit_a, "onnx/model.onnx", "weights");
    REQUIRE(store.write_ref("org/model", "main", k_commit_a));

    host::FrameWriter writer([](std::string_view) { return true; });
    host::Services services(config, writer);
    host::Router router;
    host::register_all_actions(router);
    host::HostContext ctx;
    ctx.config = config;
    ctx.writer = &writer;
    ctx.router = &router;
    ctx.services = &services;
    host::Request req{"get_file_path", {}, {{"action", "get_file_path"}, {"repo", "org/model"}, {"file", "onnx/model.onnx"}}};
    auto out = host::Router::dispatch(*router.find("get_file_path"), req, ctx);
    services.shutdown();

    REQUIRE(out.reply.value("status", "") == "success");
    const auto path = out.reply["payload"]["path"].get<std::string>();
    const auto blob = out.reply["payload"]["blobPath"].get<std::string>();
    for (const auto& text : {path, blob}) {
        INFO(text);
        CHECK(text.find(k_other) == std::string::npos);
    }
    CHECK(path.ends_with(joined({"snapshots", k_commit_a, "onnx", "model.onnx"})));
}
