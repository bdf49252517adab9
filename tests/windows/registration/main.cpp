// The Windows registry and process seams as tabagent-host --install/--check use them, run under
// Wine (tests/windows/registration/run.sh). `registration_tests --keep KEY VALUE` sets one value
// and exits, so that run.sh can read it back with `wine reg query` from outside the program.
#define DOCTEST_CONFIG_IMPLEMENT
#include "core/platform/os.hpp"
#include "core/platform/registry.hpp"
#include "core/platform/spawn.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tabagent;
namespace fs = std::filesystem;

namespace {
const std::string k_root = "Software\\TabAgentTest";
const std::string k_key = k_root + "\\Google\\Chrome\\NativeMessagingHosts\\com.tabagent.host";

fs::path child_program() {
    auto self = platform::current_executable();
    REQUIRE(self);
    return self->parent_path() / "exchange_child.exe";
}
} // namespace

TEST_CASE("windows registry: a default value under HKCU is set, read back in UTF-8, replaced and deleted") {
    REQUIRE(platform::delete_user_key(k_root));
    auto missing = platform::get_user_default_value(k_key);
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());

    const std::string value = "C:\\Users\\Jos\xc3\xa9\\AppData\\Local\\TabAgent\\native-messaging\\com.tabagent.host.chrome.json";
    REQUIRE(platform::set_user_default_value(k_key, value)); // creates the parent keys too
    auto read = platform::get_user_default_value(k_key);
    REQUIRE(read);
    REQUIRE(read->has_value());
    CHECK(**read == value);

    REQUIRE(platform::set_user_default_value(k_key, "C:\\other.json"));
    CHECK(**platform::get_user_default_value(k_key) == "C:\\other.json");

    REQUIRE(platform::delete_user_key(k_key));
    CHECK_FALSE(platform::get_user_default_value(k_key)->has_value());
    CHECK(platform::delete_user_key(k_key)); // already gone: still fine
    REQUIRE(platform::delete_user_key(k_root));
}

TEST_CASE("windows spawn: arguments arrive intact, stdin is fed, the reply is read") {
    platform::SpawnRequest request;
    request.program = child_program();
    request.args = {"reply", "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/", "--parent-window=3802886",
                    "with space", "quote\"inside", "trailing\\"};
    request.input = "ping";
    request.complete = [](std::string_view out) { return out.find(";in=ping") != std::string_view::npos; };
    auto outcome = platform::run_exchange(request);
    REQUIRE(outcome);
    CHECK_FALSE(outcome->timed_out);
    CHECK(outcome->output == "args=chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/|--parent-window=3802886|"
                             "with space|quote\"inside|trailing\\;in=ping");
}

TEST_CASE("windows spawn: a child that never answers is killed at the timeout") {
    platform::SpawnRequest request;
    request.program = child_program();
    request.args = {"hang"};
    request.input = "ping";
    request.timeout = std::chrono::milliseconds(500);
    request.complete = [](std::string_view out) { return !out.empty(); };
    auto outcome = platform::run_exchange(request);
    REQUIRE(outcome);
    CHECK(outcome->timed_out);
    CHECK(outcome->output.empty());
}

TEST_CASE("windows spawn: a missing program is an error naming why; is_executable tells files from folders") {
    platform::SpawnRequest request;
    request.program = child_program().parent_path() / "no-such-program.exe";
    auto outcome = platform::run_exchange(request);
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().message.find("cannot start") != std::string::npos);
    CHECK(platform::is_executable(child_program()));
    CHECK_FALSE(platform::is_executable(child_program().parent_path()));
    CHECK_FALSE(platform::is_executable(request.program));
}

TEST_CASE("windows os: the build says Windows and knows its own path") {
    CHECK(platform::os_kind() == platform::Os::windows);
    auto self = platform::current_executable();
    REQUIRE(self);
    CHECK(self->filename() == "registration_tests.exe");
}

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == "--keep") {
        auto s = platform::set_user_default_value(argv[2], argv[3]);
        if (!s) std::fprintf(stderr, "%s\n", s.error().message.c_str());
        return s ? 0 : 1;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
