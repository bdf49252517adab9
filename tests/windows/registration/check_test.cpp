// tabagent-host --check on Windows, under Wine: a manifest's relative "path" resolves against the
// manifest's folder, Chrome's --parent-window and Firefox's manifest-path argument reach the host,
// and run_check follows the real HKCU keys to the manifests. The "host" is exchange_child.exe,
// which answers one framed handshake with its own argv as the version.
#include "core/platform/os.hpp"
#include "core/platform/registry.hpp"
#include "host/registration.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace tabagent;
using namespace tabagent::host;
namespace fs = std::filesystem;

namespace {

fs::path build_dir() { return platform::current_executable()->parent_path(); }

// What --install writes (render_manifest lives in registration.cpp, which needs the file seam).
fs::path write_manifest(const fs::path& file, BrowserFamily family, const std::string& path) {
    nlohmann::json m = {{"name", "com.tabagent.host"}, {"description", "test"}, {"path", path}, {"type", "stdio"}};
    if (family == BrowserFamily::firefox) m["allowed_extensions"] = {"tabagent@tabagent.com"};
    else m["allowed_origins"] = {"chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"};
    std::ofstream(file, std::ios::binary) << m.dump();
    return file;
}

// Sets a key for the test and puts back what was there (another test may use the same prefix).
class KeyOverride {
public:
    KeyOverride(std::string key, const std::string& value) : m_key(std::move(key)) {
        auto old = platform::get_user_default_value(m_key);
        REQUIRE(old);
        m_old = *old;
        REQUIRE(platform::set_user_default_value(m_key, value));
    }
    ~KeyOverride() {
        if (m_old) (void)platform::set_user_default_value(m_key, *m_old);
        else (void)platform::delete_user_key(m_key);
    }
    KeyOverride(const KeyOverride&) = delete;
    KeyOverride& operator=(const KeyOverride&) = delete;

private:
    std::string m_key;
    std::optional<std::string> m_old;
};

} // namespace

TEST_CASE("windows check: a relative path is the manifest's folder; Chrome passes --parent-window") {
    const fs::path manifest = write_manifest(build_dir() / "relative-manifest.json", BrowserFamily::chromium, "exchange_child.exe");
    auto report = check_manifest(manifest, BrowserFamily::chromium, platform::Os::windows, true);
    const std::string first_problem = report.problems.empty() ? std::string() : report.problems[0];
    INFO(first_problem);
    CHECK(report.problems.empty());
    CHECK(report.binary == build_dir() / "exchange_child.exe");
    CHECK(report.summary.find("chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/ --parent-window=0") != std::string::npos);
    auto elsewhere = check_manifest(manifest, BrowserFamily::chromium, platform::Os::linux_, false);
    REQUIRE(elsewhere.problems.size() == 1);
    CHECK(elsewhere.problems[0].find("must be absolute on Linux and macOS") != std::string::npos);
    fs::remove(manifest);
}

TEST_CASE("windows check: run_check follows HKCU keys to the manifests and handshakes with each host") {
    const fs::path child = build_dir() / "exchange_child.exe";
    const fs::path chrome = write_manifest(build_dir() / "chrome-manifest.json", BrowserFamily::chromium,
                                           utf8(child));
    const fs::path firefox = write_manifest(build_dir() / "firefox-manifest.json", BrowserFamily::firefox,
                                            utf8(child));
    BrowserEnv env;
    env.os = platform::Os::windows;
    env.home = env.local_app_data = env.app_data = build_dir() / "no-profiles";
    env.data_dir = build_dir() / "no-data";
    KeyOverride chrome_key("Software\\Google\\Chrome\\NativeMessagingHosts\\com.tabagent.host", chrome.string());
    KeyOverride firefox_key("Software\\Mozilla\\NativeMessagingHosts\\com.tabagent.host", firefox.string());
    RegistryAccess registry{platform::set_user_default_value, platform::get_user_default_value, platform::delete_user_key};
    std::ostringstream out;
    CheckOptions options;
    int rc = run_check(out, env, options, registry);
    INFO(out.str());
    CHECK(rc == 0);
    CHECK(out.str().find("Google Chrome: OK, answers handshake (version chrome-extension://") != std::string::npos);
    CHECK(out.str().find("--parent-window=0") != std::string::npos);
    // Firefox passes the manifest's path, then the add-on id.
    CHECK(out.str().find("Firefox: OK, answers handshake (version " + firefox.string() + " tabagent@tabagent.com)") !=
          std::string::npos);
    CHECK(out.str().find("2 of 2 registrations work") != std::string::npos);
    fs::remove(chrome);
    fs::remove(firefox);
}
