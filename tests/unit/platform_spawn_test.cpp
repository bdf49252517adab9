// platform/spawn.hpp, POSIX side (tests/windows/registration covers the Windows side under Wine):
// the short piped exchange tabagent-host --check has with the host a manifest names.
#include "core/platform/os.hpp"
#include "core/platform/spawn.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace tabagent;
namespace fs = std::filesystem;

namespace {
bool posix() { return platform::os_kind() != platform::Os::windows; }

platform::SpawnRequest shell(std::string script, std::vector<std::string> args = {}) {
    platform::SpawnRequest request;
    request.program = "/bin/sh";
    request.args = {"-c", std::move(script), "sh"};
    for (auto& a : args) request.args.push_back(std::move(a));
    return request;
}
} // namespace

TEST_CASE("platform spawn: arguments arrive as given, stdin is fed, stdout is read to EOF") {
    if (!posix()) return;
    auto request = shell(R"(printf '%s|' "$@"; cat)", {"chrome-extension://x/", "with space", "quote\"d"});
    request.input = "ping";
    auto outcome = platform::run_exchange(request);
    REQUIRE(outcome);
    CHECK_FALSE(outcome->timed_out);
    CHECK(outcome->output == "chrome-extension://x/|with space|quote\"d|ping");
}

TEST_CASE("platform spawn: reading stops when the reply is complete, and the child is reaped") {
    if (!posix()) return;
    auto request = shell("printf reply; cat >/dev/null");
    request.input = "x";
    request.complete = [](std::string_view out) { return out == "reply"; };
    auto outcome = platform::run_exchange(request);
    REQUIRE(outcome);
    CHECK_FALSE(outcome->timed_out);
    CHECK(outcome->output == "reply");
}

TEST_CASE("platform spawn: a child that never answers is killed at the timeout") {
    if (!posix()) return;
    auto request = shell("exec sleep 600");
    request.input = "x";
    request.timeout = std::chrono::milliseconds(200);
    request.complete = [](std::string_view out) { return !out.empty(); };
    auto outcome = platform::run_exchange(request);
    REQUIRE(outcome);
    CHECK(outcome->timed_out);
}

TEST_CASE("platform spawn: a child that exits without reading its stdin costs no SIGPIPE") {
    if (!posix()) return;
    auto request = shell("exit 0");
    request.input.assign(1 << 20, 'x'); // more than a pipe holds: the write fails with EPIPE
    auto outcome = platform::run_exchange(request);
    REQUIRE(outcome);
    CHECK(outcome->output.empty());
}

TEST_CASE("platform spawn: a missing program is an error; is_executable tells programs from the rest") {
    if (!posix()) return;
    platform::SpawnRequest request;
    request.program = "/nonexistent/tabagent-host";
    auto outcome = platform::run_exchange(request);
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().message.find("cannot start") != std::string::npos);
    CHECK(platform::is_executable("/bin/sh"));
    CHECK_FALSE(platform::is_executable("/"));
    CHECK_FALSE(platform::is_executable("/nonexistent"));
    auto self = platform::current_executable();
    REQUIRE(self);
    CHECK(self->is_absolute());
    CHECK(self->filename() == "unit_tests");
}
