// tabagent-host --install / --uninstall / --check (host/registration.hpp, host/browsers.hpp):
// the browser table per platform, install/uninstall/idempotence in a temp HOME, the Windows
// keys against an in-memory registry, Flatpak/Snap packages, and the manifest path rules.
#include "host/browsers.hpp"
#include "host/registration.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

using namespace tabagent;
using namespace tabagent::host;
using platform::Os;
namespace fs = std::filesystem;

namespace {

using TempHome = tabagent::test::TempDir;

BrowserEnv env_for(Os os, const fs::path& home) {
    BrowserEnv env;
    env.os = os;
    env.home = home;
    env.config_home = home / ".config";
    env.local_app_data = home / "AppData" / "Local";
    env.app_data = home / "AppData" / "Roaming";
    env.data_dir = os == Os::windows ? env.local_app_data / "TabAgent" : home / ".local" / "share" / "TabAgent";
    env.system_root = home / "sysroot"; // never the machine's own /etc
    return env;
}

const BrowserTarget& find(const std::vector<BrowserTarget>& table, std::string_view id) {
    auto it = std::find_if(table.begin(), table.end(), [&](const BrowserTarget& t) { return t.id == id; });
    REQUIRE(it != table.end());
    return *it;
}

bool has(const std::vector<BrowserTarget>& table, std::string_view id) {
    return std::any_of(table.begin(), table.end(), [&](const BrowserTarget& t) { return t.id == id; });
}

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

// A registry in a map: the Windows table's logic runs on Linux.
struct FakeRegistry {
    std::map<std::string, std::string> values;
    RegistryAccess access() {
        return {[this](std::string_view key, std::string_view value) -> Status {
                    values[std::string(key)] = std::string(value);
                    return {};
                },
                [this](std::string_view key) -> Result<std::optional<std::string>> {
                    auto it = values.find(std::string(key));
                    if (it == values.end()) return std::optional<std::string>{};
                    return std::optional<std::string>(it->second);
                },
                [this](std::string_view key) -> Status {
                    values.erase(std::string(key));
                    return {};
                }};
    }
};

// A stand-in host binary: the manifests only need its path to exist and be executable.
fs::path fake_host(const fs::path& dir) {
    fs::path host = dir / "bin" / "tabagent-host";
    write_text(host, "#!/bin/sh\nexit 0\n");
    fs::permissions(host, fs::perms::owner_all);
    return host;
}

int install(const BrowserEnv& env, const fs::path& host, std::vector<std::string> browsers, std::string& out,
            const RegistryAccess& registry = RegistryAccess::system(), std::vector<std::string> ids = {}) {
    InstallOptions options;
    options.browsers = std::move(browsers);
    options.extension_ids = std::move(ids);
    options.host_path = host;
    options.handshake = false;
    std::ostringstream text;
    int rc = run_install(text, env, options, registry);
    out = text.str();
    return rc;
}

} // namespace

TEST_CASE("registration: the browser table knows each platform's channels and places") {
    const fs::path home = "/home/u";
    SUBCASE("Linux: <config home>/<product>/NativeMessagingHosts, no Canary") {
        auto table = browser_table(env_for(Os::linux_, home));
        CHECK(find(table, "chrome").manifest_file == home / ".config/google-chrome/NativeMessagingHosts/com.tabagent.host.json");
        CHECK(find(table, "chrome-beta").manifest_file.parent_path().parent_path().filename() == "google-chrome-beta");
        CHECK(find(table, "chrome-dev").manifest_file.parent_path().parent_path().filename() == "google-chrome-unstable");
        CHECK(find(table, "chrome-for-testing").manifest_file.parent_path().parent_path().filename() ==
              "google-chrome-for-testing");
        CHECK(find(table, "brave").manifest_file ==
              home / ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/com.tabagent.host.json");
        CHECK(find(table, "edge-beta").manifest_file.parent_path().parent_path().filename() == "microsoft-edge-beta");
        CHECK(find(table, "firefox").manifest_file == home / ".mozilla/native-messaging-hosts/com.tabagent.host.json");
        CHECK(find(table, "firefox").family == BrowserFamily::firefox);
        CHECK_FALSE(has(table, "chrome-canary"));
        for (const auto& t : table) CHECK(t.registry_key.empty());
    }
    SUBCASE("Linux: XDG_CONFIG_HOME moves the Chrome family, not Firefox") {
        auto env = env_for(Os::linux_, home);
        env.config_home = "/xdg";
        auto table = browser_table(env);
        CHECK(find(table, "chromium").manifest_file == fs::path("/xdg/chromium/NativeMessagingHosts/com.tabagent.host.json"));
        CHECK(find(table, "firefox").manifest_file.string().rfind("/home/u/.mozilla/", 0) == 0);
    }
    SUBCASE("macOS: ~/Library/Application Support/<product dir>, Canary and Chrome for Testing included") {
        auto table = browser_table(env_for(Os::macos, home));
        const fs::path as = home / "Library/Application Support";
        CHECK(find(table, "chrome").manifest_file == as / "Google/Chrome/NativeMessagingHosts/com.tabagent.host.json");
        CHECK(find(table, "chrome-canary").manifest_file.parent_path().parent_path() == as / "Google/Chrome Canary");
        CHECK(find(table, "chrome-for-testing").manifest_file.parent_path().parent_path() == as / "Google/Chrome for Testing");
        CHECK(find(table, "edge").manifest_file.parent_path().parent_path() == as / "Microsoft Edge");
        CHECK(find(table, "firefox").manifest_file == as / "Mozilla/NativeMessagingHosts/com.tabagent.host.json");
        for (const auto& t : table) CHECK(t.sandboxes.empty());
    }
    SUBCASE("Windows: one HKCU key per vendor, pointing at a manifest in the data dir") {
        auto env = env_for(Os::windows, home);
        auto table = browser_table(env);
        CHECK(find(table, "chrome").registry_key == "Software\\Google\\Chrome\\NativeMessagingHosts\\com.tabagent.host");
        CHECK(find(table, "chromium").registry_key == "Software\\Chromium\\NativeMessagingHosts\\com.tabagent.host");
        CHECK(find(table, "edge").registry_key == "Software\\Microsoft\\Edge\\NativeMessagingHosts\\com.tabagent.host");
        CHECK(find(table, "brave").registry_key ==
              "Software\\BraveSoftware\\Brave-Browser\\NativeMessagingHosts\\com.tabagent.host");
        CHECK(find(table, "vivaldi").registry_key == "Software\\Vivaldi\\NativeMessagingHosts\\com.tabagent.host");
        CHECK(find(table, "firefox").registry_key == "Software\\Mozilla\\NativeMessagingHosts\\com.tabagent.host");
        // Chrome's key is fixed in its source: Beta, Dev, Canary and Chrome for Testing read it too.
        for (auto id : {"chrome-beta", "chrome-dev", "chrome-canary", "chrome-for-testing"})
            CHECK(matches(find(table, "chrome"), id));
        CHECK(find(table, "chrome").manifest_file == env.data_dir / "native-messaging" / "com.tabagent.host.chrome.json");
        CHECK(find(table, "edge").manifest_file == find(table, "brave").manifest_file);
        CHECK(find(table, "firefox").manifest_file == env.data_dir / "native-messaging" / "com.tabagent.host.firefox.json");
    }
    SUBCASE("extra dirs: Chrome flavour by default, firefox:DIR for Firefox") {
        auto env = env_for(Os::linux_, home);
        env.extra_dirs = {"/p/NativeMessagingHosts", "firefox:/q"};
        auto table = browser_table(env);
        CHECK(table[table.size() - 2].manifest_file == fs::path("/p/NativeMessagingHosts/com.tabagent.host.json"));
        CHECK(table.back().family == BrowserFamily::firefox);
        CHECK(is_present(table.back()));
    }
}

TEST_CASE("registration: install writes the browsers present, again the same, uninstall removes exactly that") {
    TempHome home;
    auto env = env_for(Os::linux_, home.path());
    fs::create_directories(home.path() / ".config/chromium/Default");
    fs::create_directories(home.path() / ".mozilla/firefox");
    fs::path host = fake_host(home.path());
    std::string out;
    REQUIRE(install(env, host, {}, out) == 0);
    const fs::path chromium = home.path() / ".config/chromium/NativeMessagingHosts/com.tabagent.host.json";
    const fs::path firefox = home.path() / ".mozilla/native-messaging-hosts/com.tabagent.host.json";
    REQUIRE(fs::exists(chromium));
    REQUIRE(fs::exists(firefox));
    CHECK_FALSE(fs::exists(home.path() / ".config/google-chrome"));
    auto m = nlohmann::json::parse(slurp(chromium));
    CHECK(m["path"] == host.string());
    CHECK(m["allowed_origins"][0] == "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/");
    CHECK(nlohmann::json::parse(slurp(firefox))["allowed_extensions"][0] == "tabagent@tabagent.com");
    CHECK(check_manifest(chromium, BrowserFamily::chromium, Os::linux_, false).problems.empty());
    CHECK(check_manifest(firefox, BrowserFamily::firefox, Os::linux_, false).problems.empty());

    auto record = slurp(registrations_file(env));
    auto first = slurp(chromium);
    REQUIRE(install(env, host, {}, out) == 0);
    CHECK(slurp(chromium) == first);
    CHECK(slurp(registrations_file(env)) == record);

    std::ostringstream text;
    CHECK(run_uninstall(text, env, RegistryAccess::system()) == 0);
    CHECK_FALSE(fs::exists(chromium));
    CHECK_FALSE(fs::exists(firefox));
    CHECK_FALSE(fs::exists(chromium.parent_path())); // the folder install made
    CHECK(fs::exists(home.path() / ".config/chromium/Default")); // the browser's own
    CHECK(fs::exists(home.path() / ".mozilla/firefox"));
    CHECK_FALSE(fs::exists(registrations_file(env)));
    text.str("");
    CHECK(run_uninstall(text, env, RegistryAccess::system()) == 0);
    CHECK(text.str().find("Nothing to uninstall") != std::string::npos);
}

TEST_CASE("registration: --browser picks browsers, all writes every one, an unknown name is refused") {
    TempHome home;
    auto env = env_for(Os::linux_, home.path());
    fs::path host = fake_host(home.path());
    std::string out;
    REQUIRE(install(env, host, {"chrome-beta"}, out) == 0);
    CHECK(fs::exists(home.path() / ".config/google-chrome-beta/NativeMessagingHosts/com.tabagent.host.json"));
    CHECK_FALSE(fs::exists(home.path() / ".config/google-chrome"));
    REQUIRE(install(env, host, {"all"}, out) == 0);
    for (const auto& t : browser_table(env)) CHECK(fs::exists(t.manifest_file));
    CHECK(install(env, host, {"netscape"}, out) == 2);
    CHECK(out.find("unknown browser 'netscape'") != std::string::npos);
    std::ostringstream text;
    REQUIRE(run_uninstall(text, env, RegistryAccess::system()) == 0);
    CHECK_FALSE(fs::exists(home.path() / ".config")); // every folder was made by install
    CHECK_FALSE(fs::exists(home.path() / ".mozilla"));
}

TEST_CASE("registration: extra extension ids reach the manifests and the host's allowlist, and leave with uninstall") {
    TempHome home;
    auto env = env_for(Os::linux_, home.path());
    fs::path host = fake_host(home.path());
    std::string out;
    const std::string chrome_id = "abcdefghijklmnopabcdefghijklmnop";
    REQUIRE(install(env, host, {"chromium", "firefox"}, out, RegistryAccess::system(),
                    {"chrome-extension://" + chrome_id + "/", "dev@example.org"}) == 0);
    auto m = nlohmann::json::parse(slurp(home.path() / ".config/chromium/NativeMessagingHosts/com.tabagent.host.json"));
    CHECK(m["allowed_origins"].size() == 2);
    CHECK(m["allowed_origins"][1] == "chrome-extension://" + chrome_id + "/");
    auto ff = nlohmann::json::parse(slurp(home.path() / ".mozilla/native-messaging-hosts/com.tabagent.host.json"));
    CHECK(ff["allowed_extensions"][1] == "dev@example.org");
    auto config = nlohmann::json::parse(slurp(env.data_dir / "config.json"));
    CHECK(config["allowed_extension_ids"] == nlohmann::json::array({chrome_id, "dev@example.org"}));
    CHECK(install(env, host, {}, out, RegistryAccess::system(), {"not an id"}) == 2);
    std::ostringstream text;
    REQUIRE(run_uninstall(text, env, RegistryAccess::system()) == 0);
    CHECK_FALSE(fs::exists(env.data_dir / "config.json")); // install created it
}

TEST_CASE("registration: on Windows the keys name the manifest; check follows them; uninstall deletes them") {
    TempHome home;
    auto env = env_for(Os::windows, home.path());
    fs::create_directories(env.local_app_data / "Google/Chrome SxS/User Data"); // Canary only
    fs::create_directories(env.app_data / "Mozilla/Firefox");
    fs::path host = fake_host(home.path());
    FakeRegistry registry;
    std::string out;
    REQUIRE(install(env, host, {}, out, registry.access()) == 0);
    const std::string chrome_key = "Software\\Google\\Chrome\\NativeMessagingHosts\\com.tabagent.host";
    const std::string firefox_key = "Software\\Mozilla\\NativeMessagingHosts\\com.tabagent.host";
    REQUIRE(registry.values.size() == 2);
    CHECK(registry.values[chrome_key] == (env.data_dir / "native-messaging" / "com.tabagent.host.chrome.json").string());
    CHECK(fs::exists(registry.values[firefox_key]));

    CheckOptions no_handshake;
    no_handshake.handshake = false;
    std::ostringstream text;
    CHECK(run_check(text, env, no_handshake, registry.access()) == 0);
    CHECK(text.str().find("Google Chrome: OK") != std::string::npos);
    CHECK(text.str().find("HKCU\\" + chrome_key) != std::string::npos);
    CHECK(text.str().find("2 of 2 registrations work") != std::string::npos);

    registry.values["Software\\Microsoft\\Edge\\NativeMessagingHosts\\com.tabagent.host"] = "relative.json";
    text.str("");
    CHECK(run_check(text, env, no_handshake, registry.access()) == 1);
    CHECK(text.str().find("absolute path") != std::string::npos);
    registry.values.erase("Software\\Microsoft\\Edge\\NativeMessagingHosts\\com.tabagent.host");

    registry.values[firefox_key] = "C:\\elsewhere\\other.json"; // rewritten by another installer
    text.str("");
    REQUIRE(run_uninstall(text, env, registry.access()) == 0);
    CHECK(registry.values.count(chrome_key) == 0);
    CHECK(registry.values[firefox_key] == "C:\\elsewhere\\other.json");
    CHECK(text.str().find("left HKCU\\" + firefox_key) != std::string::npos);
    CHECK_FALSE(fs::exists(env.data_dir / "native-messaging"));
}

TEST_CASE("registration: Flatpak and Snap browsers are named with what to do, not given a manifest they cannot use") {
    TempHome home;
    auto env = env_for(Os::linux_, home.path());
    fs::path host = fake_host(home.path());
    std::string out;
    SUBCASE("a Flatpak Chromium alone: no manifest, the reason and the upstream issue") {
        fs::create_directories(home.path() / ".var/app/org.chromium.Chromium/config/chromium");
        REQUIRE(install(env, host, {}, out) == 0);
        CHECK_FALSE(fs::exists(home.path() / ".config/chromium"));
        CHECK(out.find("Chromium Flatpak (org.chromium.Chromium)") != std::string::npos);
        CHECK(out.find("xdg-desktop-portal#655") != std::string::npos);
        CHECK(out.find("No browser found") != std::string::npos);
        std::ostringstream text;
        CheckOptions options;
        CHECK(run_check(text, env, options, RegistryAccess::system()) == 1);
        CHECK(text.str().find("note: Chromium Flatpak") != std::string::npos);
    }
    SUBCASE("the Chromium snap: no manifest; Brave and Edge Flatpaks likewise") {
        fs::create_directories(home.path() / "snap/chromium/common");
        fs::create_directories(home.path() / ".var/app/com.brave.Browser");
        fs::create_directories(home.path() / ".var/app/com.microsoft.Edge");
        REQUIRE(install(env, host, {}, out) == 0);
        CHECK(out.find("Chromium snap") != std::string::npos);
        CHECK(out.find("Brave Flatpak (com.brave.Browser)") != std::string::npos);
        CHECK(out.find("Microsoft Edge Flatpak (com.microsoft.Edge)") != std::string::npos);
        CHECK_FALSE(fs::exists(home.path() / ".config"));
    }
    SUBCASE("the Firefox snap reaches the host through the WebExtensions portal: the regular manifest is written") {
        fs::create_directories(home.path() / "snap/firefox/common/.mozilla/firefox");
        REQUIRE(install(env, host, {}, out) == 0);
        CHECK(fs::exists(home.path() / ".mozilla/native-messaging-hosts/com.tabagent.host.json"));
        CHECK(out.find("WebExtensions portal") != std::string::npos);
    }
    SUBCASE("a native Chrome beside a Flatpak one: the native one is registered, the Flatpak named") {
        fs::create_directories(home.path() / ".config/google-chrome");
        fs::create_directories(home.path() / ".var/app/com.google.Chrome");
        REQUIRE(install(env, host, {}, out) == 0);
        CHECK(fs::exists(home.path() / ".config/google-chrome/NativeMessagingHosts/com.tabagent.host.json"));
        CHECK(out.find("Google Chrome Flatpak (com.google.Chrome)") != std::string::npos);
    }
}

TEST_CASE("registration: a relative host path works on Windows (the manifest's folder) and is refused elsewhere") {
    TempHome home;
    fs::path dir = home.path() / "manifests";
    fake_host(dir); // dir/bin/tabagent-host
    const fs::path manifest = dir / "com.tabagent.host.json";
    auto text = nlohmann::json::parse(render_manifest(BrowserFamily::chromium, "bin/tabagent-host", {}));
    write_text(manifest, text.dump());
    auto windows = check_manifest(manifest, BrowserFamily::chromium, Os::windows, false);
    CHECK(windows.problems.empty());
    CHECK(windows.binary == dir / "bin/tabagent-host");
    for (auto os : {Os::linux_, Os::macos}) {
        auto report = check_manifest(manifest, BrowserFamily::chromium, os, false);
        REQUIRE(report.problems.size() == 1);
        CHECK(report.problems[0].find("\"path\" must be absolute on Linux and macOS") != std::string::npos);
    }
    SUBCASE("a relative path whose binary is missing names the resolved path") {
        text["path"] = "missing.exe";
        write_text(manifest, text.dump());
        auto report = check_manifest(manifest, BrowserFamily::chromium, Os::windows, false);
        REQUIRE(report.problems.size() == 1);
        CHECK(report.problems[0].find((dir / "missing.exe").string()) != std::string::npos);
    }
}

TEST_CASE("registration: manifest shape mistakes are each named") {
    TempHome home;
    fs::path host = fake_host(home.path());
    const fs::path manifest = home.path() / "m.json";
    write_text(manifest, R"({"name":"com.other","type":"pipe","path":")" + host.string() +
                             R"(","allowed_origins":["chrome-extension://fkkeoobeahalebjpbockfedlncckobjb"]})");
    auto report = check_manifest(manifest, BrowserFamily::chromium, Os::linux_, false);
    std::string all;
    for (const auto& p : report.problems) all += p + "\n";
    CHECK(all.find("\"name\" must be com.tabagent.host") != std::string::npos);
    CHECK(all.find("\"type\" must be \"stdio\"") != std::string::npos);
    CHECK(all.find("with the slash") != std::string::npos);
    write_text(manifest, "{not json");
    CHECK(check_manifest(manifest, BrowserFamily::chromium, Os::linux_, false).problems ==
          std::vector<std::string>{"manifest is not valid JSON"});
    CHECK(is_extension_origin("chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"));
    CHECK_FALSE(is_extension_origin("chrome-extension://fkkeoobeahalebjpbockfedlncckobjz/"));
}

TEST_CASE("registration: check also reads the system-wide manifests a package installs") {
    TempHome home;
    auto env = env_for(Os::linux_, home.path());
    fs::path host = fake_host(home.path());
    const fs::path chrome = env.system_root / "etc/opt/chrome/native-messaging-hosts/com.tabagent.host.json";
    const fs::path firefox = env.system_root / "usr/lib/mozilla/native-messaging-hosts/com.tabagent.host.json";
    write_text(chrome, render_manifest(BrowserFamily::chromium, host, {}));
    write_text(firefox, render_manifest(BrowserFamily::firefox, "relative/host", {}));
    CheckOptions options;
    options.handshake = false;
    std::ostringstream text;
    CHECK(run_check(text, env, options, RegistryAccess::system()) == 1);
    CHECK(text.str().find("Google Chrome (system): OK, manifest valid") != std::string::npos);
    CHECK(text.str().find("Firefox (system): BROKEN") != std::string::npos);
    CHECK(text.str().find("1 of 2 registrations work") != std::string::npos);
    auto mac = env_for(Os::macos, home.path());
    CHECK(system_manifests(mac)[0].manifest_file ==
          mac.system_root / "Library/Google/Chrome/NativeMessagingHosts/com.tabagent.host.json");
    CHECK(system_manifests(env_for(Os::windows, home.path())).empty());
}
