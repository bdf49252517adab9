#include "host/request.hpp"

#include <doctest/doctest.h>

using namespace tabagent;
using namespace tabagent::host;

TEST_CASE("request: a well-formed request yields action and id") {
    RequestId id;
    auto r = parse_request(R"({"action":"ping","messageId":"m1","x":1})", id);
    REQUIRE(r);
    CHECK(r->action == "ping");
    CHECK(r->id.field == "messageId");
    CHECK(r->id.value == "m1");
}

TEST_CASE("request: request_id is accepted and echoed under its own name") {
    RequestId id;
    auto r = parse_request(R"({"action":"ping","request_id":7})", id);
    REQUIRE(r);
    CHECK(r->id.field == "request_id");
    CHECK(r->id.value == 7);
}

TEST_CASE("request: each kind of bad body is BAD_REQUEST, with the id recovered when possible") {
    RequestId id;
    SUBCASE("empty") { CHECK(parse_request("", id).error().code == ErrorCode::bad_request); }
    SUBCASE("invalid utf-8") {
        auto r = parse_request("{\"action\":\"\xff\"}", id);
        CHECK(r.error().message.find("UTF-8") != std::string::npos);
    }
    SUBCASE("invalid json") { CHECK(parse_request("{\"action\":", id).error().code == ErrorCode::bad_request); }
    SUBCASE("deep nesting does not recurse") {
        std::string deep(100000, '[');
        deep += std::string(100000, ']');
        auto r = parse_request(deep, id);
        CHECK(r.error().message.find("nested") != std::string::npos);
    }
    SUBCASE("not an object") { CHECK(parse_request("[1]", id).error().message.find("object") != std::string::npos); }
    SUBCASE("action missing keeps the id") {
        auto r = parse_request(R"({"messageId":"k"})", id);
        CHECK_FALSE(r);
        CHECK(id.value == "k");
    }
    SUBCASE("action not a string") {
        auto r = parse_request(R"({"action":1,"messageId":"k"})", id);
        CHECK(r.error().message.find("string") != std::string::npos);
        CHECK(id.value == "k");
    }
}

TEST_CASE("request: depth scan ignores brackets inside strings") {
    CHECK(json_depth_at_most(R"({"a":"[[[[[[", "b":[{"c":"\"]]]"}]})", 100) == 3);
    CHECK(json_depth_at_most(std::string(500, '['), 128) == 129);
}
