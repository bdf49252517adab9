// Windows-only facts of the process and console seam, under Wine (in unit_tests.exe: tests/windows/tests.cmake).
#include "core/config.hpp"
#include "core/platform/console.hpp"
#include "core/platform/process.hpp"
#include "env_var.hpp"

#include <doctest/doctest.h>

#include "core/platform/windows/windows_h.hpp"
#include <fcntl.h>
#include <io.h>

#include <string>
#include <thread>

using namespace tabagent;

namespace {
// What the C runtime's _write puts into a pipe, read back raw with ReadFile.
std::string through_crt(bool binary) {
    int fds[2] = {-1, -1};
    REQUIRE(::_pipe(fds, 4096, _O_TEXT | _O_NOINHERIT) == 0);
    if (binary) platform::set_binary_mode(fds[1]);
    const char text[] = "a\nb\r\nc";
    REQUIRE(::_write(fds[1], text, sizeof text - 1) > 0);
    ::_close(fds[1]);
    std::string out;
    char buffer[64];
    while (true) {
        auto n = platform::read_some(fds[0], std::span<char>(buffer, sizeof buffer));
        REQUIRE(n);
        if (*n == 0) break;
        out.append(buffer, *n);
    }
    ::_close(fds[0]);
    return out;
}
} // namespace

TEST_CASE("windows: the executable carries the project's manifest: long paths, asInvoker") {
    // Resource 1 of type RT_MANIFEST is what the loader reads (cmake/windows_manifest.cmake).
    HRSRC found = ::FindResourceW(nullptr, MAKEINTRESOURCEW(1), MAKEINTRESOURCEW(24));
    REQUIRE(found != nullptr);
    HGLOBAL loaded = ::LoadResource(nullptr, found);
    REQUIRE(loaded != nullptr);
    const std::string manifest(static_cast<const char*>(::LockResource(loaded)), ::SizeofResource(nullptr, found));
    CHECK(manifest.find("<longPathAware xmlns=\"http://schemas.microsoft.com/SMI/2016/WindowsSettings\">true</longPathAware>") !=
          std::string::npos);
    CHECK(manifest.find("level=\"asInvoker\"") != std::string::npos);
}

TEST_CASE("windows: set_binary_mode stops the C runtime from turning LF into CR LF") {
    CHECK(through_crt(false) == "a\r\nb\r\r\nc"); // the corruption binary mode prevents
    CHECK(through_crt(true) == "a\nb\r\nc");
}

TEST_CASE("windows: the data dir is %LOCALAPPDATA%\\TabAgent and the cache under %USERPROFILE%") {
    test::EnvVar home("TABAGENT_HOME", nullptr), cache("TABAGENT_CACHE", nullptr), hub("HF_HUB_CACHE", nullptr),
        hf_home("HF_HOME", nullptr), xdg("XDG_CACHE_HOME", nullptr), posix_home("HOME", "C:\\not-used"),
        local("LOCALAPPDATA", "C:\\Users\\J\xc3\xb6rg\\AppData\\Local"), profile("USERPROFILE", "C:\\Users\\J\xc3\xb6rg");
    const Config config = Config::from_environment();
    // Non-ASCII names survive: the environment is read as UTF-16 (GetEnvironmentVariableW).
    CHECK(config.data_dir.wstring() == L"C:\\Users\\J\u00f6rg\\AppData\\Local\\TabAgent");
    CHECK(config.cache_root.wstring() == L"C:\\Users\\J\u00f6rg\\.cache\\huggingface\\hub");
}

TEST_CASE("windows: without LOCALAPPDATA the known folder answers") {
    test::EnvVar local("LOCALAPPDATA", nullptr);
    const auto dir = platform::user_data_directory();
    CHECK_FALSE(dir.empty());
    CHECK(dir.is_absolute());
}

TEST_CASE("windows: machine info names Windows and its version") {
    const auto info = platform::machine_info();
    CHECK(info.os.rfind("Windows ", 0) == 0);
    CHECK(info.arch == "x86_64");
    CHECK(info.ram_total > 0);
}

TEST_CASE("windows: Ctrl-C reaches the interrupt watch through the console control handler") {
    auto watch = platform::InterruptWatch::start();
    REQUIRE(watch);
    // A console of our own, so that the event has somewhere to go (a no-op when one is attached).
    ::AllocConsole();
    if (!::GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)) {
        MESSAGE("GenerateConsoleCtrlEvent is not available here; the handler path is not exercised");
        return;
    }
    CHECK((*watch)->wait()); // the handler runs on a thread of the system's; wait() returns once it did
    (*watch)->restore_default();
}
