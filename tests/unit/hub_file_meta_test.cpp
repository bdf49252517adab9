// How a resolve answer is read (issue 13 item 1, Xet-backed files). The headers follow the Hub:
// huggingface_hub file_download.py get_hf_file_metadata (X-Linked-Etag, X-Linked-Size, Location,
// X-Repo-Commit) and utils/_xet.py parse_xet_file_data_from_response (X-Xet-Hash; the refresh
// route from Link rel="xet-auth", else X-Xet-Refresh-Route); hub-docs docs/xet/file-id.md (the
// resolve URL of a Xet file answers a 302 with X-Xet-Hash; following it downloads the bytes the
// LFS way, through the bridge). tests/fakehub `--xet` answers the same way.
#include "core/config.hpp"
#include "core/hub/client.hpp"
#include "core/hub/file_meta.hpp"
#include "download_test_server.hpp"

#include <doctest/doctest.h>

using namespace tabagent;
using tabagent::test::TestServer;

namespace {

const std::string k_commit = "0123456789abcdef0123456789abcdef01234567";
const std::string k_sha256 = std::string(64, 'b');
const std::string k_xet = std::string(64, 'c');
const std::string k_endpoint = "https://hub.test";

hub::ResponseHeaders headers_of(long status, std::initializer_list<std::string> lines) {
    hub::ResponseHeaders h;
    h.feed("HTTP/1.1 " + std::to_string(status) + " X\r\n");
    for (const auto& line : lines) h.feed(line + "\r\n");
    return h;
}

} // namespace

TEST_CASE("hub: a Xet file's 302 gives size and blob from X-Linked-*, never the redirect's length") {
    const auto h = headers_of(302, {
        "Content-Length: 90", // "Found. Redirecting to https://cas-bridge.xethub.hf.co/..."
        "Location: https://cas-bridge.xethub.hf.co/xet-bridge-us/abc?X-Amz-Expires=3600&X-Amz-Signature=s",
        "ETag: \"redirect-etag\"",
        "X-Linked-Etag: \"" + k_sha256 + "\"",
        "X-Linked-Size: 54975581388800", // 50 TiB: past any 32-bit or Content-Length mix-up
        "X-Repo-Commit: " + k_commit,
        "X-Xet-Hash: " + k_xet,
        "X-Xet-Refresh-Route: /api/models/org/m/xet-read-token/" + k_commit,
        "Link: <https://hub.test/api/models/org/m/xet-read-token/" + k_commit +
            ">; rel=\"xet-auth\", <https://cas-server.xethub.hf.co/v1/reconstructions/" + k_xet +
            ">; rel=\"xet-reconstruction-info\"",
    });
    auto meta = hub::file_meta_from_response(302, h, k_endpoint + "/org/m/resolve/main/w.gguf", k_endpoint);
    REQUIRE_MESSAGE(meta, (meta ? "" : meta.error().message));
    CHECK(meta->size == 54975581388800ULL);
    CHECK(meta->etag == k_sha256);
    CHECK(meta->commit == k_commit);
    CHECK(meta->location.rfind("https://cas-bridge.xethub.hf.co/xet-bridge-us/abc?", 0) == 0);
    REQUIRE(meta->xet);
    CHECK(meta->xet->hash == k_xet);
    CHECK(meta->xet->refresh_route == k_endpoint + "/api/models/org/m/xet-read-token/" + k_commit); // the Link wins
}

TEST_CASE("hub: without a Link, X-Xet-Refresh-Route names the refresh route (completed with the endpoint)") {
    const auto h = headers_of(302, {"Location: https://cdn.test/x", "X-Linked-Etag: \"" + k_sha256 + "\"",
                                    "X-Linked-Size: 10", "X-Xet-Hash: " + k_xet,
                                    "X-Xet-Refresh-Route: /api/models/org/m/xet-read-token/main"});
    auto meta = hub::file_meta_from_response(302, h, k_endpoint + "/org/m/resolve/main/a", k_endpoint);
    REQUIRE(meta);
    REQUIRE(meta->xet);
    CHECK(meta->xet->refresh_route == k_endpoint + "/api/models/org/m/xet-read-token/main");
    // An LFS file not in Xet: no X-Xet-Hash, no Xet data.
    const auto lfs = headers_of(302, {"Location: https://cdn.test/x", "X-Linked-Etag: \"" + k_sha256 + "\"",
                                      "X-Linked-Size: 10"});
    auto plain = hub::file_meta_from_response(302, lfs, k_endpoint + "/org/m/resolve/main/a", k_endpoint);
    REQUIRE(plain);
    CHECK_FALSE(plain->xet);
}

TEST_CASE("hub: a redirect without X-Linked-Size has no size we trust") {
    // huggingface_hub would take the redirect's Content-Length here (X-Linked-Size or
    // Content-Length); that number is the length of the redirect's text, so we refuse instead.
    const auto h = headers_of(302, {"Content-Length: 90", "Location: https://cdn.test/x",
                                    "X-Linked-Etag: \"" + k_sha256 + "\""});
    auto meta = hub::file_meta_from_response(302, h, k_endpoint + "/org/m/resolve/main/a", k_endpoint);
    REQUIRE_FALSE(meta);
    CHECK(meta.error().code == ErrorCode::network);
    CHECK(meta.error().message.find("X-Linked-Size") != std::string::npos);
    // A 200 (a small git file served by the Hub itself) is its own body: Content-Length is the size.
    const auto ok = headers_of(200, {"Content-Length: 7", "ETag: W/\"" + std::string(40, '1') + "\""});
    auto small = hub::file_meta_from_response(200, ok, k_endpoint + "/org/m/resolve/main/c.json", k_endpoint);
    REQUIRE(small);
    CHECK(small->size == 7);
    CHECK(small->etag == std::string(40, '1'));
    CHECK(small->location == k_endpoint + "/org/m/resolve/main/c.json");
}

TEST_CASE("hub: link_target finds a relation among several, quoted or not") {
    const std::string link = "<https://a/next>; rel=\"next\", <https://a/auth>; rel=xet-auth, "
                             "<https://a/both>; type=\"x\"; rel=\"prev xet-reconstruction-info\"";
    CHECK(hub::link_target(link, "next") == "https://a/next");
    CHECK(hub::link_target(link, "xet-auth") == "https://a/auth");
    CHECK(hub::link_target(link, "xet-reconstruction-info") == "https://a/both");
    CHECK(hub::link_target(link, "xet") == "");
    CHECK(hub::link_target("", "next") == "");
}

TEST_CASE("hub: head_file of a Xet file reads the bridge redirect as the fake hub's --xet mode sends it") {
    TestServer server;
    std::string accept_encoding;
    const std::string body = "Found. Redirecting to " + server.alt_base() + "/cdn/blob?X-Amz-Expires=3600";
    server.raw().Get(R"(/org/m/resolve/main/w\.gguf)", [&](const httplib::Request& req, httplib::Response& res) {
        server.record(req, 302);
        accept_encoding = req.get_header_value("Accept-Encoding");
        res.status = 302;
        res.set_header("Location", server.alt_base() + "/cdn/blob?X-Amz-Expires=3600");
        res.set_header("X-Repo-Commit", k_commit);
        res.set_header("X-Linked-Etag", "\"" + k_sha256 + "\"");
        res.set_header("X-Linked-Size", "123456789");
        res.set_header("X-Xet-Hash", k_xet);
        res.set_header("Link", "<" + server.base() + "/api/models/org/m/xet-read-token/" + k_commit +
                                   ">; rel=\"xet-auth\"");
        res.set_content(body, "text/plain"); // the redirect's own Content-Length
    });
    Config config;
    config.endpoint = server.base();
    hub::HubClient client(config, std::nullopt);
    auto meta = client.head_file("org/m", "main", "w.gguf");
    REQUIRE_MESSAGE(meta, (meta ? "" : meta.error().message));
    CHECK(meta->size == 123456789);
    CHECK(meta->etag == k_sha256);
    REQUIRE(meta->xet);
    CHECK(meta->xet->hash == k_xet);
    CHECK(accept_encoding == "identity");
    for (const auto& r : server.requests()) CHECK(r.path.find("/cdn/") == std::string::npos);
}
