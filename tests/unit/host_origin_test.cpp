// The one origin rule (host/origin.hpp), through both callers: the native-messaging caller read
// from argv, and the file server's HTTP Origin header (host_file_server_test.cpp has more).
#include "host/origin.hpp"

#include <doctest/doctest.h>

using namespace tabagent::host;

namespace {
const std::vector<std::string> k_allowed{k_tabagent_extension_id, k_tabagent_firefox_id};
const std::string k_chrome_origin = std::string("chrome-extension://") + k_tabagent_extension_id;
} // namespace

TEST_CASE("host: the caller is read from argv as Chrome and Firefox pass it") {
    SUBCASE("Chrome: the origin, with or without --parent-window") {
        for (const auto& args : {std::vector<std::string>{k_chrome_origin + "/"},
                                 std::vector<std::string>{k_chrome_origin + "/", "--parent-window=0"}}) {
            auto caller = caller_from_args(args);
            CHECK(caller.from_browser);
            CHECK(caller.origin == k_chrome_origin + "/");
            CHECK(caller.extension_id == k_tabagent_extension_id);
            CHECK(is_allowed(caller, k_allowed));
        }
    }
    SUBCASE("Chrome on Windows: --parent-window=<decimal HWND> after the origin, and later flags") {
        // native_process_launcher.cc appends "--parent-window=%" PRIdPTR after the origin, and
        // --reconnect-command / --native-messaging-connect-id when the extension asks for them.
        for (const auto& args :
             {std::vector<std::string>{k_chrome_origin + "/", "--parent-window=3802886"},
              std::vector<std::string>{k_chrome_origin + "/", "--parent-window=18446744073709551615",
                                       "--reconnect-command=WyJjaHJvbWUuZXhlIl0=", "--native-messaging-connect-id=x"}}) {
            auto caller = caller_from_args(args);
            CHECK(caller.from_browser);
            CHECK(caller.origin == k_chrome_origin + "/");
            CHECK(caller.extension_id == k_tabagent_extension_id);
            CHECK(is_allowed(caller, k_allowed));
        }
        CHECK_FALSE(is_allowed(caller_from_args({"chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/",
                                                 "--parent-window=3802886"}),
                               k_allowed));
    }
    SUBCASE("Firefox: the manifest path, then the add-on id") {
        auto caller = caller_from_args({"/home/u/.mozilla/native-messaging-hosts/com.tabagent.host.json",
                                        k_tabagent_firefox_id});
        CHECK(caller.origin == k_tabagent_firefox_id);
        CHECK(caller.extension_id == k_tabagent_firefox_id);
        CHECK(is_allowed(caller, k_allowed));
    }
    SUBCASE("another extension is refused") {
        auto caller = caller_from_args({"chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"});
        CHECK(caller.extension_id == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        CHECK_FALSE(is_allowed(caller, k_allowed));
        CHECK_FALSE(is_allowed(caller_from_args({"chrome-extension:///"}), k_allowed));
        CHECK_FALSE(is_allowed(caller_from_args({"/path/manifest.json", "evil@example.org"}), k_allowed));
    }
    SUBCASE("no origin at all: run by hand, allowed") {
        auto caller = caller_from_args({});
        CHECK_FALSE(caller.from_browser);
        CHECK(is_allowed(caller, k_allowed));
    }
}

TEST_CASE("host: one origin rule decides for argv and for the Origin header") {
    using S = OriginSource;
    for (auto source : {S::native_messaging, S::http_header}) {
        CAPTURE(static_cast<int>(source));
        CHECK(origin_allowed(k_chrome_origin, source, k_allowed));
        CHECK(origin_allowed(k_chrome_origin + "/", source, k_allowed));
        CHECK_FALSE(origin_allowed(k_chrome_origin + "//", source, k_allowed));
        CHECK_FALSE(origin_allowed("chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", source, k_allowed));
        CHECK_FALSE(origin_allowed("chrome-extension://", source, k_allowed));
        CHECK_FALSE(origin_allowed("", source, k_allowed));
        CHECK_FALSE(origin_allowed(std::string("https://") + k_tabagent_extension_id, source, k_allowed));
    }
    // A bare add-on id is what Firefox passes in argv; a browser never sends one as an Origin.
    CHECK(origin_allowed(k_tabagent_firefox_id, S::native_messaging, k_allowed));
    CHECK_FALSE(origin_allowed(k_tabagent_firefox_id, S::http_header, k_allowed));
    CHECK_FALSE(origin_allowed(k_tabagent_extension_id, S::http_header, k_allowed));
    CHECK(extension_id_of(k_chrome_origin + "/", S::http_header) == k_tabagent_extension_id);
    CHECK_FALSE(extension_id_of("null", S::http_header).has_value());
}
