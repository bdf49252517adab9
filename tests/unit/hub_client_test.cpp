#include "core/hub/client.hpp"
#include "core/hub/errors.hpp"
#include "core/hub/http.hpp"
#include "core/hub/token.hpp"
#include "core/platform/fs.hpp"
#include "core/platform/os.hpp"
#include "download_test_server.hpp"
#include "env_var.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <curl/curl.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace tabagent;
using tabagent::test::TestServer;

namespace {

using tabagent::test::TempDir;
using tabagent::test::EnvVar;

const std::string k_sha = "0123456789abcdef0123456789abcdef01234567";
const std::string k_lfs = std::string(64, 'a');

Config config_for(const TestServer& server) {
    Config config;
    config.endpoint = server.base() + "/";
    return config;
}

// One try per request: these tests pin how an answer maps, not the retries (hub_rate_budget_test).
hub::ClientOptions one_try() {
    hub::ClientOptions options;
    options.max_attempts = 1;
    return options;
}

} // namespace

TEST_CASE("hub: HTTP statuses and transport failures map to protocol codes") {
    hub::HttpFailureInfo gated;
    gated.x_error_code = "GatedRepo";
    gated.repo = "org/model";
    auto e401 = hub::http_error(401, gated);
    CHECK(e401.code == ErrorCode::auth_required);
    CHECK(e401.http_status == 401);
    CHECK(e401.details["x_error_code"] == "GatedRepo");
    CHECK(e401.details["repo"] == "org/model");
    CHECK(hub::http_error(403, {}).code == ErrorCode::auth_required);

    hub::HttpFailureInfo missing;
    missing.x_error_code = "EntryNotFound";
    auto e404 = hub::http_error(404, missing);
    CHECK(e404.code == ErrorCode::not_found);
    CHECK(e404.details["x_error_code"] == "EntryNotFound");
    CHECK_FALSE(hub::is_retryable(e404));

    hub::HttpFailureInfo limited;
    limited.retry_after_seconds = 7;
    auto e429 = hub::http_error(429, limited);
    CHECK(e429.code == ErrorCode::rate_limited);
    CHECK(e429.details["retry_after"] == 7.0);
    CHECK(hub::is_retryable(e429));

    for (long status : {500L, 502L, 503L, 504L}) {
        auto e = hub::http_error(status, {});
        CHECK(e.code == ErrorCode::network);
        CHECK(e.http_status == status);
        CHECK(hub::is_retryable(e));
    }
    CHECK(hub::http_error(400, {}).code == ErrorCode::network);
    CHECK_FALSE(hub::is_retryable(hub::http_error(400, {})));
    CHECK_FALSE(hub::is_retryable(hub::http_error(401, {})));

    for (CURLcode code : {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT,
                          CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_GOT_NOTHING}) {
        auto e = hub::transport_error(code);
        CHECK(e.code == ErrorCode::network);
        CHECK(e.curl_code == code);
        CHECK(e.http_status == 0);
        CHECK(hub::is_retryable(e));
    }
    CHECK(hub::transport_error(CURLE_COULDNT_RESOLVE_HOST).details["reason"] == "dns");
    CHECK(hub::transport_error(CURLE_OPERATION_TIMEDOUT).details["reason"] == "timeout");
    CHECK(hub::transport_error(CURLE_ABORTED_BY_CALLBACK).code == ErrorCode::cancelled);
}

TEST_CASE("hub: Retry-After is parsed as seconds or an HTTP date") {
    CHECK(hub::parse_retry_after("1") == 1.0);
    CHECK(hub::parse_retry_after(" 120 ") == 120.0);
    CHECK_FALSE(hub::parse_retry_after("soon"));
    CHECK_FALSE(hub::parse_retry_after(""));
    const auto now = std::chrono::system_clock::from_time_t(1445412480); // Wed, 21 Oct 2015 07:28:00 GMT
    CHECK(hub::parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30.0);
    CHECK(hub::parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0.0);
}

TEST_CASE("hub: URL helpers encode segments and compare origins") {
    CHECK(hub::encode_path("onnx/model q4.onnx") == "onnx/model%20q4.onnx");
    CHECK(hub::encode_segment("refs/pr/1") == "refs%2Fpr%2F1");
    CHECK(hub::strip_query("https://cdn/x?sig=secret") == "https://cdn/x");
    CHECK(hub::url_origin("https://HF.co/a") == "https://hf.co:443");
    CHECK(hub::url_origin("http://127.0.0.1:81/a") == "http://127.0.0.1:81");
    CHECK(hub::url_origin("http://[::1]:81/a") == "http://[::1]:81");
    CHECK(hub::url_origin("http://localhost:81/") != hub::url_origin("http://127.0.0.1:81/"));
}

TEST_CASE("hub: token resolution order, storage mode and masking") {
    TempDir home;
    TempDir data;
    EnvVar hf_token("HF_TOKEN", nullptr);
    EnvVar hf_home("HF_HOME", platform::u8string(home.path() / "hf").c_str());
    Config config;
    config.data_dir = data.path() / "TabAgent";

    CHECK_FALSE(hub::resolve_token(config));

    std::filesystem::create_directories(home.path() / "hf");
    std::ofstream(home.path() / "hf" / "token") << "hf_fromhfhome12345\n";
    auto t = hub::resolve_token(config);
    REQUIRE(t);
    CHECK(t->value == "hf_fromhfhome12345");
    CHECK(t->source == "hf_home");

    EnvVar env_token("HF_TOKEN", "hf_fromenv1234567");
    t = hub::resolve_token(config);
    REQUIRE(t);
    CHECK(t->source == "env");

    REQUIRE(hub::store_token(config.data_dir, "hf_stored12345678"));
    // Mode 0600 on POSIX; Windows has no mode bits: the file inherits the data folder's ACL.
    if (platform::os_kind() != platform::Os::windows) {
        const auto perms = std::filesystem::status(config.token_file()).permissions() & std::filesystem::perms::all;
        CHECK(perms == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    }
    t = hub::resolve_token(config);
    REQUIRE(t);
    CHECK(t->value == "hf_stored12345678");
    CHECK(t->source == "stored");

    config.explicit_token = "hf_explicit1234567";
    t = hub::resolve_token(config);
    REQUIRE(t);
    CHECK(t->source == "explicit");
    config.explicit_token.reset();

    REQUIRE(hub::clear_token(config.data_dir));
    CHECK(hub::clear_token(config.data_dir)); // idempotent
    CHECK(hub::resolve_token(config)->source == "env");

    CHECK(hub::mask_token("hf_abcdefghijklmnop") == "hf_****mnop");
    CHECK(hub::mask_token("short") == "****");
    CHECK(hub::mask_token("hf_abcdefghijklmnop").find("abcdefgh") == std::string::npos);
    CHECK_FALSE(hub::store_token(config.data_dir, "  "));
}

TEST_CASE("hub: list_repo reads repo info and follows tree pagination") {
    TestServer server;
    auto& raw = server.raw();
    raw.Get("/api/models/org/model/revision/main", [&](const httplib::Request& req, httplib::Response& res) {
        server.record(req, 200);
        res.set_content(R"({"id":"org/model","sha":")" + k_sha +
                            R"(","pipeline_tag":"text-generation","gated":"manual","private":false})",
                        "application/json");
    });
    raw.Get("/api/models/org/model/tree/" + k_sha, [&](const httplib::Request& req, httplib::Response& res) {
        server.record(req, 200);
        if (req.get_param_value("cursor").empty()) {
            res.set_header("Link", "<" + server.base() + "/api/models/org/model/tree/" + k_sha +
                                       "?recursive=true&cursor=p2>; rel=\"next\"");
            res.set_content(R"([{"type":"directory","path":"onnx","oid":"d"},
                {"type":"file","path":"config.json","size":12,"oid":"1111111111111111111111111111111111111111"}])",
                            "application/json");
        } else {
            res.set_content(R"([{"type":"file","path":"onnx/model.onnx","size":999,"oid":"2222222222222222222222222222222222222222",
                "lfs":{"oid":")" + k_lfs + R"(","size":999,"pointerSize":130},"xetHash":"abc123"}])",
                            "application/json");
        }
    });
    hub::HubClient client(config_for(server), std::string("hf_secret_token_123"));
    auto listing = client.list_repo("org/model", "main");
    REQUIRE_MESSAGE(listing, (listing ? "" : listing.error().message));
    CHECK(listing->commit == k_sha);
    CHECK(listing->pipeline_tag == "text-generation");
    CHECK(listing->gated);
    CHECK_FALSE(listing->is_private);
    REQUIRE(listing->files.size() == 2);
    CHECK(listing->files[0].path == "config.json");
    CHECK(listing->files[0].etag == "1111111111111111111111111111111111111111");
    CHECK_FALSE(listing->files[0].lfs);
    CHECK(listing->files[1].path == "onnx/model.onnx");
    CHECK(listing->files[1].etag == k_lfs);
    CHECK(listing->files[1].lfs);
    CHECK(listing->files[1].size == 999);
    // Kept for trees/<commit>.json: the git oid (of the LFS pointer) and the Xet hash, as
    // huggingface_hub's _snapshot_download.py stores them (blob_id, xet_hash).
    CHECK(listing->files[0].blob_id == "1111111111111111111111111111111111111111");
    CHECK(listing->files[1].blob_id == "2222222222222222222222222222222222222222");
    CHECK(listing->files[1].xet_hash == "abc123");
    CHECK(listing->files[0].xet_hash.empty());
    for (const auto& r : server.requests()) {
        CHECK(r.authorization == "Bearer hf_secret_token_123");
        CHECK(r.host.find("127.0.0.1") == 0);
    }
}

TEST_CASE("hub: errors from the Hub carry protocol codes and X-Error-Code") {
    TestServer server;
    server.raw().Get("/api/models/org/gated/revision/main", [](const httplib::Request&, httplib::Response& res) {
        res.status = 401;
        res.set_header("X-Error-Code", "GatedRepo");
        res.set_content("gated", "text/plain");
    });
    server.raw().Get("/api/models/org/missing/revision/main", [](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        res.set_header("X-Error-Code", "RepoNotFound");
    });
    server.raw().Get("/api/models/org/busy/revision/main", [](const httplib::Request&, httplib::Response& res) {
        res.status = 429;
        res.set_header("Retry-After", "3");
    });
    server.raw().Get("/api/models/org/down/revision/main", [](const httplib::Request&, httplib::Response& res) {
        res.status = 503;
    });
    hub::HubClient client(config_for(server), std::nullopt, one_try());
    auto gated = client.list_repo("org/gated", "main");
    REQUIRE_FALSE(gated);
    CHECK(gated.error().code == ErrorCode::auth_required);
    CHECK(gated.error().http_status == 401);
    CHECK(gated.error().details["x_error_code"] == "GatedRepo");
    CHECK(gated.error().details["repo"] == "org/gated");
    auto missing = client.list_repo("org/missing", "main");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(missing.error().details["x_error_code"] == "RepoNotFound");
    auto busy = client.list_repo("org/busy", "main");
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == ErrorCode::rate_limited);
    CHECK(busy.error().details["retry_after"] == 3.0);
    auto down = client.list_repo("org/down", "main");
    REQUIRE_FALSE(down);
    CHECK(down.error().code == ErrorCode::network);
    CHECK(down.error().http_status == 503);
}

TEST_CASE("hub: transport failures are NETWORK with the curl code") {
    int dead_port = 0;
    {
        TestServer gone; // a port that was just free and now has no listener
        dead_port = gone.port();
    }
    Config config;
    config.endpoint = "http://127.0.0.1:" + std::to_string(dead_port);
    hub::HubClient client(config, std::nullopt, one_try());
    auto refused = client.list_repo("org/model", "main");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::network);
    CHECK(refused.error().curl_code == CURLE_COULDNT_CONNECT);

    config.endpoint = "http://no-such-host.invalid";
    auto short_timeouts = one_try();
    short_timeouts.connect_timeout_ms = 500;
    short_timeouts.timeout_ms = 2000;
    hub::HubClient dns(config, std::nullopt, short_timeouts);
    auto unresolved = dns.list_repo("org/model", "main");
    REQUIRE_FALSE(unresolved);
    CHECK(unresolved.error().code == ErrorCode::network);
    CHECK(unresolved.error().curl_code == CURLE_COULDNT_RESOLVE_HOST);
}

TEST_CASE("hub: offline mode fails fast without touching the network") {
    TestServer server;
    Config config = config_for(server);
    config.offline = true;
    hub::HubClient client(config, std::string("hf_token_abcdefgh"));
    CHECK(client.list_repo("org/model", "main").error().code == ErrorCode::offline);
    CHECK(client.head_file("org/model", "main", "a.bin").error().code == ErrorCode::offline);
    CHECK(client.whoami().error().code == ErrorCode::offline);
    CHECK(server.requests().empty());
}

TEST_CASE("hub: head_file reads linked etag/size and does not follow the CDN redirect") {
    TestServer server;
    server.raw().Get(R"(/org/model/resolve/main/onnx/model q4\.onnx)",
                     [&](const httplib::Request& req, httplib::Response& res) {
                         server.record(req, 302);
                         res.status = 302;
                         res.set_header("Location", server.alt_base() + "/cdn/blob?sig=abc");
                         res.set_header("X-Repo-Commit", k_sha);
                         res.set_header("X-Linked-Etag", "\"" + k_lfs + "\"");
                         res.set_header("X-Linked-Size", "123456789012");
                         res.set_header("ETag", "\"ignored\"");
                     });
    server.raw().Get(R"(/org/model/resolve/main/config\.json)", [&](const httplib::Request& req, httplib::Response& res) {
        server.record(req, 200);
        res.set_header("X-Repo-Commit", k_sha);
        res.set_header("ETag", "W/\"1111111111111111111111111111111111111111\"");
        res.set_content("{\"a\":1}", "application/json");
    });
    server.raw().Get(R"(/org/model/resolve/main/nope\.bin)", [](const httplib::Request&, httplib::Response& res) {
        res.status = 404;
        res.set_header("X-Error-Code", "EntryNotFound");
    });
    hub::HubClient client(config_for(server), std::string("hf_secret_token_123"));
    CHECK(client.resolve_url("org/model", "main", "onnx/model q4.onnx") ==
          server.base() + "/org/model/resolve/main/onnx/model%20q4.onnx");
    auto lfs = client.head_file("org/model", "main", "onnx/model q4.onnx");
    REQUIRE_MESSAGE(lfs, (lfs ? "" : lfs.error().message));
    CHECK(lfs->etag == k_lfs);
    CHECK(lfs->size == 123456789012ULL);
    CHECK(lfs->commit == k_sha);
    CHECK(lfs->location == server.alt_base() + "/cdn/blob?sig=abc");
    auto small = client.head_file("org/model", "main", "config.json");
    REQUIRE(small);
    CHECK(small->etag == "1111111111111111111111111111111111111111");
    CHECK(small->size == 7);
    auto nope = client.head_file("org/model", "main", "nope.bin");
    REQUIRE_FALSE(nope);
    CHECK(nope.error().code == ErrorCode::not_found);
    CHECK(nope.error().details["x_error_code"] == "EntryNotFound");
    for (const auto& r : server.requests()) CHECK(r.path.find("/cdn/") == std::string::npos);
}

TEST_CASE("hub: whoami sends the bearer token and needs one") {
    TestServer server;
    server.raw().Get("/api/whoami-v2", [](const httplib::Request& req, httplib::Response& res) {
        if (req.get_header_value("Authorization") != "Bearer hf_good_token_1234") {
            res.status = 401;
            return;
        }
        res.set_content(R"({"name":"alice","type":"user"})", "application/json");
    });
    hub::HubClient good(config_for(server), std::string("hf_good_token_1234"));
    auto me = good.whoami();
    REQUIRE(me);
    CHECK((*me)["name"] == "alice");
    hub::HubClient bad(config_for(server), std::string("hf_bad_token_12345"));
    CHECK(bad.whoami().error().code == ErrorCode::auth_required);
    hub::HubClient none(config_for(server), std::nullopt);
    CHECK(none.whoami().error().code == ErrorCode::auth_required);
}

TEST_CASE("hub: libcurl keeps a custom Authorization header off a redirect to another host") {
    // Pins the libcurl behaviour the engine relies on (no CURLOPT_UNRESTRICTED_AUTH).
    TestServer server;
    server.add_file("blob", tabagent::test::served("hello"));
    hub::CurlEasy easy(hub::curl().easy_init());
    hub::HttpRequest request;
    request.url = server.base() + "/redirect/blob";
    request.follow_redirects = true;
    request.headers = {"Authorization: Bearer hf_secret_token_123"};
    auto response = hub::perform(easy.get(), request);
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "hello");
    auto log = server.requests();
    REQUIRE(log.size() == 2);
    CHECK(log[0].authorization == "Bearer hf_secret_token_123");
    CHECK(log[1].host.find("localhost") == 0);
    CHECK(log[1].authorization.empty());
}
