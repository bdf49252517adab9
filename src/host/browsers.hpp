#pragma once
// Which browsers can start the host and where each one looks for it (DESIGN §12, issue 14 item 3):
// per platform, per browser and channel, as plain data. Linux and macOS read a manifest file in a
// per-user folder; Windows reads the manifest path from a key under HKEY_CURRENT_USER.
#include "core/config.hpp"
#include "core/platform/os.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::host {

inline constexpr const char* k_host_name = "com.tabagent.host";

// Paths as UTF-8 text and back: manifests, the record and the registry seam hold UTF-8, while
// path::string() on Windows is the ANSI code page (a user name such as "José" would not survive).
inline std::string utf8(const std::filesystem::path& p) {
    auto text = p.u8string();
    return std::string(text.begin(), text.end());
}
inline std::filesystem::path from_utf8(std::string_view text) {
    return std::filesystem::path(std::u8string(text.begin(), text.end()));
}

enum class BrowserFamily {
    chromium, // "allowed_origins": ["chrome-extension://<id>/"]; argv: origin (+ --parent-window on Windows)
    firefox,  // "allowed_extensions": ["<add-on id>"]; argv: manifest path, add-on id
};

// A sandboxed package of a browser (Linux): its folder under ~/.var/app (Flatpak) or ~/snap.
struct SandboxedInstall {
    enum class Kind { flatpak, snap };
    Kind kind = Kind::flatpak;
    std::string app;           // "org.chromium.Chromium", "chromium"
    std::filesystem::path dir; // ~/.var/app/<app> or ~/snap/<app>
    // True when the package can still start a host outside its sandbox: the Firefox snap asks the
    // WebExtensions portal, which reads ~/.mozilla/native-messaging-hosts (keepassxc PR #8756).
    bool reaches_host = false;
};

struct BrowserTarget {
    std::string id;    // "chrome-beta": what --browser takes
    std::string label; // "Google Chrome Beta": what the reports say
    BrowserFamily family = BrowserFamily::chromium;
    std::vector<std::string> also_covers;             // ids this entry registers too (Windows channels)
    std::vector<std::filesystem::path> profile_dirs;  // any existing one: the browser is installed
    std::filesystem::path manifest_file;              // the file written (Windows: shared per family)
    std::string registry_key;                         // Windows: HKCU subkey naming manifest_file
    std::vector<SandboxedInstall> sandboxes;          // Linux packages that cannot read manifest_file
    bool explicit_dir = false;                        // from TABAGENT_BROWSER_DIRS: always used
};

// What the table depends on, read once from the environment (tests build their own).
struct BrowserEnv {
    platform::Os os = platform::Os::linux_;
    std::filesystem::path home;           // $HOME (Windows: %USERPROFILE%)
    std::filesystem::path config_home;    // Linux: $CHROME_CONFIG_HOME, $XDG_CONFIG_HOME or ~/.config
    std::filesystem::path local_app_data; // Windows: %LOCALAPPDATA%
    std::filesystem::path app_data;       // Windows: %APPDATA% (Firefox profiles)
    std::filesystem::path data_dir;       // TabAgent's data dir (Windows manifests, the record)
    std::vector<std::string> extra_dirs;  // TABAGENT_BROWSER_DIRS entries ("firefox:DIR" or DIR)
    std::filesystem::path system_root = "/"; // where the system-wide folders are (tests: a temp dir)

    static BrowserEnv from_process(const Config& config);
};

// Every browser the platform knows, then one entry per extra dir.
std::vector<BrowserTarget> browser_table(const BrowserEnv& env);
// The system-wide manifest files the browsers also read on Linux and macOS (what a package such
// as the .deb installs; --check reports them, --install never writes them). Empty on Windows.
std::vector<BrowserTarget> system_manifests(const BrowserEnv& env);
// A profile dir exists (the browser has run), or the target is an explicit dir.
bool is_present(const BrowserTarget& target);
// The sandboxed packages of this browser that are installed for this user.
std::vector<SandboxedInstall> sandboxes_present(const BrowserTarget& target);
// True when `id` names this target (its own id or one it covers).
bool matches(const BrowserTarget& target, std::string_view id);
// <data dir>/registrations.json: what --install wrote, read by --uninstall and --check.
std::filesystem::path registrations_file(const BrowserEnv& env);
// One line for the user: why a sandboxed package cannot start the host and what to do.
std::string sandbox_advice(const BrowserTarget& target, const SandboxedInstall& sandbox);

} // namespace tabagent::host
