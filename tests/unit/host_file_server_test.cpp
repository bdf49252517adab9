#include "host/file_server_rules.hpp"
#include "host/origin.hpp"

#include <doctest/doctest.h>

using namespace tabagent;
using namespace tabagent::host;

namespace {
const std::string k_token = "0123456789abcdef0123456789abcdef";
std::string url(const std::string& rest) { return "/" + k_token + "/" + rest; }
} // namespace

TEST_CASE("host: the file server parses Hub-style resolve URLs") {
    auto r = parse_hub_target(url("onnx-community/Tiny/resolve/main/onnx/model.onnx"), k_token);
    REQUIRE(r);
    CHECK(r->repo == "onnx-community/Tiny");
    CHECK(r->revision == "main");
    CHECK(r->path == "onnx/model.onnx");

    SUBCASE("segments are decoded one by one: an encoded slash stays inside the revision") {
        auto pr = parse_hub_target(url("o/n/resolve/refs%2Fpr%2F1/a%20b.json?download=1"), k_token);
        REQUIRE(pr);
        CHECK(pr->revision == "refs/pr/1");
        CHECK(pr->path == "a b.json");
    }
    SUBCASE("wrong, missing or partial token -> NOT_FOUND") {
        CHECK(parse_hub_target("/ffff/o/n/resolve/main/x", k_token).error().code == ErrorCode::not_found);
        CHECK(parse_hub_target("/o/n/resolve/main/x", k_token).error().code == ErrorCode::not_found);
        CHECK(parse_hub_target("/" + k_token.substr(0, 31) + "/o/n/resolve/main/x", k_token).error().code ==
              ErrorCode::not_found);
        CHECK(parse_hub_target(url("o/n/resolve/main/x"), "").error().code == ErrorCode::not_found);
        CHECK_FALSE(target_has_token("http://evil/" + k_token + "/o/n/resolve/main/x", k_token));
    }
    SUBCASE("other shapes -> NOT_FOUND") {
        CHECK(parse_hub_target(url("o/n/blob/main/x"), k_token).error().code == ErrorCode::not_found);
        CHECK(parse_hub_target(url("o/n/resolve/main"), k_token).error().code == ErrorCode::not_found);
        CHECK(parse_hub_target(url(""), k_token).error().code == ErrorCode::not_found);
    }
    SUBCASE("traversal and bad names are refused before any disk access") {
        CHECK(parse_hub_target(url("o/n/resolve/main/../../../etc/passwd"), k_token).error().code ==
              ErrorCode::invalid_path);
        CHECK(parse_hub_target(url("o/n/resolve/main/%2e%2e/%2E%2E/x"), k_token).error().code == ErrorCode::invalid_path);
        CHECK(parse_hub_target(url("o/n/resolve/main/a%2F..%2F..%2Fx"), k_token).error().code == ErrorCode::invalid_path);
        CHECK(parse_hub_target(url("o/n/resolve/main//etc/passwd"), k_token).error().code == ErrorCode::invalid_path);
        CHECK(parse_hub_target(url("o/n/resolve/main/a%00b"), k_token).error().code == ErrorCode::invalid_path);
        CHECK(parse_hub_target(url("o/n/resolve/main/a%5Cb"), k_token).error().code == ErrorCode::invalid_path);
        CHECK(parse_hub_target(url("o/n/resolve/main/x/"), k_token).error().code == ErrorCode::invalid_path);
        CHECK(parse_hub_target(url("../n/resolve/main/x"), k_token).error().code == ErrorCode::invalid_repo);
        CHECK(parse_hub_target(url("o%2F..%2F../n/resolve/main/x"), k_token).error().code == ErrorCode::invalid_repo);
        CHECK(parse_hub_target(url("o/n/resolve/..%2F..%2Fx/y"), k_token).error().code == ErrorCode::bad_request);
        CHECK(parse_hub_target(url("o/n/resolve/main/a%zz"), k_token).error().code == ErrorCode::bad_request);
        CHECK(parse_hub_target(url("o/n/resolve/main/a%2"), k_token).error().code == ErrorCode::bad_request);
    }
}

TEST_CASE("host: the file server accepts only loopback Host headers and allowed extension origins") {
    CHECK(host_header_allowed("127.0.0.1:8123", 8123));
    CHECK(host_header_allowed("LocalHost:8123", 8123));
    CHECK_FALSE(host_header_allowed("127.0.0.1:8124", 8123));
    CHECK_FALSE(host_header_allowed("127.0.0.1", 8123));
    CHECK_FALSE(host_header_allowed("evil.com:8123", 8123));
    CHECK_FALSE(host_header_allowed("", 8123));
    const std::vector<std::string> ids{"fkkeoobeahalebjpbockfedlncckobjb"};
    CHECK(origin_allowed("chrome-extension://fkkeoobeahalebjpbockfedlncckobjb", OriginSource::http_header, ids));
    CHECK_FALSE(origin_allowed("chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", OriginSource::http_header, ids));
    CHECK_FALSE(origin_allowed("https://fkkeoobeahalebjpbockfedlncckobjb", OriginSource::http_header, ids));
    CHECK_FALSE(origin_allowed("null", OriginSource::http_header, ids));
    CHECK_FALSE(origin_allowed("chrome-extension://", OriginSource::http_header, ids));
}

TEST_CASE("host: the file server answers single byte ranges") {
    using K = RangeAnswer::Kind;
    auto a = answer_range("bytes=10-19", 100);
    CHECK(a.kind == K::partial);
    CHECK(a.first == 10);
    CHECK(a.length == 10);
    a = answer_range("bytes=90-", 100);
    CHECK((a.kind == K::partial && a.first == 90 && a.length == 10));
    a = answer_range("bytes=-30", 100);
    CHECK((a.kind == K::partial && a.first == 70 && a.length == 30));
    a = answer_range("bytes=-300", 100);
    CHECK((a.kind == K::partial && a.first == 0 && a.length == 100));
    a = answer_range("bytes=50-1000", 100);
    CHECK((a.kind == K::partial && a.first == 50 && a.length == 50));
    CHECK(answer_range("bytes=100-", 100).kind == K::unsatisfiable);
    CHECK(answer_range("bytes=100-200", 100).kind == K::unsatisfiable);
    CHECK(answer_range("bytes=-0", 100).kind == K::unsatisfiable);
    CHECK(answer_range("bytes=0-", 0).kind == K::unsatisfiable);
    CHECK(answer_range("bytes=0-1,5-6", 100).kind == K::whole);
    CHECK(answer_range("items=0-1", 100).kind == K::whole);
    CHECK(answer_range("bytes=99999999999999999999-", 100).kind == K::whole);
    CHECK(answer_range("bytes=5-2", 100).kind == K::whole);
}

TEST_CASE("host: the file server's token is 128 random bits in hex") {
    auto a = random_token(), b = random_token();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->size() == 32);
    CHECK(a->find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(*a != *b);
    CHECK(content_type_for("config.json") == "application/json");
    CHECK(content_type_for("onnx/model.onnx") == "application/octet-stream");
}
