#include "core/error.hpp"

#include <doctest/doctest.h>

using namespace tabagent;

TEST_CASE("error: every code round-trips through its protocol name") {
    const char* names[] = {"BAD_REQUEST", "MESSAGE_TOO_LARGE", "UNKNOWN_ACTION", "FORBIDDEN_ORIGIN",
                           "INVALID_REPO", "INVALID_PATH", "NOT_FOUND", "AUTH_REQUIRED",
                           "RATE_LIMITED", "NETWORK", "INTEGRITY", "DISK_FULL", "CANCELLED",
                           "OFFLINE", "LOCKED", "REPLY_TOO_LARGE", "INTERNAL"};
    for (const char* name : names) {
        ErrorCode code{};
        REQUIRE(parse_error_code(name, code));
        CHECK(to_string(code) == name);
    }
    ErrorCode code{};
    CHECK_FALSE(parse_error_code("NOPE", code));
}

TEST_CASE("error: to_json carries code, message and details") {
    Error e{ErrorCode::not_found, "no such file", {{"file", "a.bin"}}};
    auto j = e.to_json();
    CHECK(j["code"] == "NOT_FOUND");
    CHECK(j["message"] == "no such file");
    CHECK(j["details"]["file"] == "a.bin");
}
