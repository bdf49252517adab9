// Start-up cost: libcurl is loaded on first use (core/hub/curl_library.hpp), through
// core/util/shared_library.hpp; HTTP dates are parsed by the core instead of curl_getdate.
#include "core/hub/curl_handles.hpp"
#include "core/platform/os.hpp"
#include "core/util/shared_library.hpp"
#include "core/util/time.hpp"

#include <doctest/doctest.h>


using namespace tabagent;

TEST_CASE("core: a shared library that is not installed is NOT_FOUND with every name tried") {
    auto missing = util::SharedLibrary::open({"libtabagent-does-not-exist.so.1", "libnor-this.so.9"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::not_found);
    CHECK(missing.error().message.find("libtabagent-does-not-exist.so.1") != std::string::npos);
    CHECK(missing.error().message.find("libnor-this.so.9") != std::string::npos);
}

TEST_CASE("core: a shared library is opened by the first name that loads, and resolves symbols") {
    // The C library's maths, by the name each system gives it (msvcrt.dll ships with Windows).
    const char* maths = platform::os_kind() == platform::Os::windows ? "msvcrt.dll"
                        : platform::os_kind() == platform::Os::macos ? "libSystem.B.dylib"
                                                                     : "libm.so.6";
    auto libm = util::SharedLibrary::open({"libtabagent-does-not-exist.so.1", maths});
    REQUIRE(libm);
    CHECK(libm->name() == maths);
    auto* cosine = reinterpret_cast<double (*)(double)>(libm->symbol("cos"));
    REQUIRE(bool(cosine));
    CHECK((*cosine)(0.0) == 1.0);
    CHECK(libm->symbol("tabagent_no_such_symbol") == nullptr);
}

TEST_CASE("core: libcurl loads on demand with every function the core calls") {
    auto api = hub::load_curl();
    REQUIRE(api);
#define TABAGENT_CHECK_LOADED(fn) CHECK(bool((*api)->fn));
    TABAGENT_CURL_FUNCTIONS(TABAGENT_CHECK_LOADED)
#undef TABAGENT_CHECK_LOADED
    CHECK(&hub::curl() == *api); // one table per process
    // The table points into the real libcurl, ready to use (curl_global_init ran on load).
    CHECK(std::string((*api)->easy_strerror(CURLE_OK)) == "No error");
    hub::CurlEasy easy{hub::curl().easy_init()};
    CHECK(easy != nullptr);
}

TEST_CASE("core: HTTP dates in the three forms RFC 9110 lets a server send") {
    const auto expected = std::chrono::sys_days{std::chrono::November / 6 / 1994} + std::chrono::hours{8} +
                          std::chrono::minutes{49} + std::chrono::seconds{37};
    CHECK(util::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == expected);
    CHECK(util::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == expected);
    CHECK(util::parse_http_date("Sun Nov  6 08:49:37 1994") == expected);
    CHECK(util::parse_http_date("Thu, 01 Jan 2037 00:00:00 GMT").has_value());
    CHECK_FALSE(util::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
    CHECK_FALSE(util::parse_http_date("Sun, 06 Nox 1994 08:49:37 GMT"));
    CHECK_FALSE(util::parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
    CHECK_FALSE(util::parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
    CHECK_FALSE(util::parse_http_date("120"));
    CHECK_FALSE(util::parse_http_date(""));
}
