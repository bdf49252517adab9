// platform/process.hpp: the same behaviour on every side of the seam (POSIX, its fallbacks under
// the asan preset, Windows under Wine).
#include "core/platform/process.hpp"
#include "core/util/random.hpp"
#include "core/util/shared_library.hpp"
#include "env_var.hpp"

#include <doctest/doctest.h>

#include <array>
#include <set>

using namespace tabagent;

TEST_CASE("platform: random bytes fill the buffer and differ between calls") {
    std::array<unsigned char, 64> a{}, b{};
    REQUIRE(platform::random_bytes(a));
    REQUIRE(platform::random_bytes(b));
    CHECK(a != b); // 2^-512 of a false failure
    std::set<unsigned char> distinct(a.begin(), a.end());
    CHECK(distinct.size() > 16);
    auto hex = util::random_hex(300); // over getrandom's 256-byte unbroken size
    REQUIRE(hex);
    CHECK(hex->size() == 600);
    CHECK(hex->find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("platform: the process id is stable and not zero") {
    CHECK(platform::process_id() != 0);
    CHECK(platform::process_id() == platform::process_id());
}

TEST_CASE("platform: environment variables are set, read as UTF-8 and removed") {
    const char* name = "TABAGENT_PLATFORM_TEST_VARIABLE";
    test::EnvVar guard(name, nullptr);
    CHECK_FALSE(platform::environment_variable(name));
    REQUIRE(platform::set_environment_variable(name, std::string("gr\xc3\xbc\xc3\x9f" "e")));
    CHECK(platform::environment_variable(name) == "gr\xc3\xbc\xc3\x9f" "e");
    auto path = platform::environment_path(name);
    REQUIRE(path);
    CHECK(*path == std::filesystem::path(u8"gr\u00fc\u00dfe"));
    REQUIRE(platform::set_environment_variable(name, std::string()));
    CHECK(platform::environment_variable(name) == "");
    REQUIRE(platform::set_environment_variable(name, std::nullopt));
    CHECK_FALSE(platform::environment_variable(name));
}

TEST_CASE("platform: a system library opens and exports its functions; a missing one is NOT_FOUND") {
    // Each platform's C library / kernel interface; the others simply fail to load.
    auto library = util::SharedLibrary::open({"libc.so.6", "libSystem.B.dylib", "kernel32.dll"});
    REQUIRE(library);
    const bool windows = library->name() == "kernel32.dll";
    CHECK(library->symbol(windows ? "GetCurrentProcessId" : "getpid") != nullptr);
    CHECK(library->symbol("tabagent_no_such_function") == nullptr);
    auto missing = util::SharedLibrary::open({"libtabagent-missing.so.0", "tabagent-missing.dll"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(missing.error().message.find("tabagent-missing") != std::string::npos);
}

TEST_CASE("platform: the machine reports its OS, architecture and memory") {
    auto info = platform::machine_info();
    CHECK_FALSE(info.os.empty());
    CHECK_FALSE(info.arch.empty());
    CHECK(info.ram_total > 0);
    CHECK(info.ram_available <= info.ram_total);
}

TEST_CASE("platform: a private directory is created once, then reported as existing") {
    auto dir = std::filesystem::temp_directory_path() /
               ("tabagent-private-" + std::to_string(platform::process_id()) + "-" + *util::random_hex(4));
    REQUIRE(platform::create_private_directory(dir));
    CHECK(std::filesystem::is_directory(dir));
    CHECK(platform::create_private_directory(dir)); // already there: fine
    CHECK_FALSE(platform::create_private_directory(dir / "missing-parent" / "child"));
    std::filesystem::remove_all(dir);
}
