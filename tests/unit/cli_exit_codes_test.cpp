#include "cli/exit_codes.hpp"

#include <doctest/doctest.h>

using namespace tabagent;
using namespace tabagent::cli;

TEST_CASE("cli: every error code maps to its documented exit code") {
    CHECK(exit_code_for(ErrorCode::bad_request) == 2);
    CHECK(exit_code_for(ErrorCode::message_too_large) == 2);
    CHECK(exit_code_for(ErrorCode::unknown_action) == 2);
    CHECK(exit_code_for(ErrorCode::invalid_repo) == 2);
    CHECK(exit_code_for(ErrorCode::invalid_path) == 2);
    CHECK(exit_code_for(ErrorCode::not_found) == 3);
    CHECK(exit_code_for(ErrorCode::auth_required) == 4);
    CHECK(exit_code_for(ErrorCode::forbidden_origin) == 4);
    CHECK(exit_code_for(ErrorCode::rate_limited) == 5);
    CHECK(exit_code_for(ErrorCode::network) == 5);
    CHECK(exit_code_for(ErrorCode::offline) == 5);
    CHECK(exit_code_for(ErrorCode::integrity) == 6);
    CHECK(exit_code_for(ErrorCode::disk_full) == 7);
    CHECK(exit_code_for(ErrorCode::cancelled) == 130);
    CHECK(exit_code_for(ErrorCode::locked) == 1);
    CHECK(exit_code_for(ErrorCode::reply_too_large) == 1);
    CHECK(exit_code_for(ErrorCode::internal) == 1);
}

TEST_CASE("cli: exit codes are distinct per kind of failure") {
    const int codes[] = {k_exit_ok, k_exit_other, k_exit_usage, k_exit_not_found, k_exit_auth,
                         k_exit_network, k_exit_integrity, k_exit_disk_full, k_exit_interrupted};
    for (std::size_t i = 0; i < std::size(codes); ++i)
        for (std::size_t j = i + 1; j < std::size(codes); ++j) CHECK(codes[i] != codes[j]);
    static_assert(exit_code_for(ErrorCode::not_found) == k_exit_not_found); // usable at compile time
}
