// The browser table. Sources:
// - Linux: the user data dir is <config home>/<product><channel suffix> (chrome/common/
//   chrome_paths_linux.cc: "google-chrome", "-beta", "-unstable", "google-chrome-for-testing",
//   "chromium"); the per-user manifest folder is <user data dir>/NativeMessagingHosts
//   (chrome/common/chrome_paths.cc, DIR_USER_NATIVE_MESSAGING). Canary has no Linux build.
// - macOS: ~/Library/Application Support/<CrProductDirName> (chrome/common/chrome_paths_mac.mm:
//   "Google/Chrome", "Google/Chrome Canary", "Google/Chrome for Testing", "Chromium").
// - Windows: Chrome reads HKCU then HKLM "SOFTWARE\Google\Chrome\NativeMessagingHosts\<name>",
//   a Chromium build "SOFTWARE\Chromium\..." first (chrome/browser/extensions/api/messaging/
//   native_process_launcher_win.cc): the key is fixed in the source, so every Chrome channel,
//   Chrome for Testing included, reads the one Chrome key. Edge documents
//   "Software\Microsoft\Edge\NativeMessagingHosts" (learn.microsoft.com, Edge native messaging),
//   Firefox "Software\Mozilla\NativeMessagingHosts" (MDN, Native manifests).
#include "host/browsers.hpp"

#include <algorithm>

namespace tabagent::host {
namespace fs = std::filesystem;
using platform::Os;

namespace {

struct PosixRow {
    const char* id;
    const char* label;
    const char* dir; // Linux: under the config home; macOS: under ~/Library/Application Support
    const char* flatpak = nullptr;
    const char* snap = nullptr;
};

constexpr PosixRow k_linux_chromium[] = {
    {"chrome", "Google Chrome", "google-chrome", "com.google.Chrome"},
    {"chrome-beta", "Google Chrome Beta", "google-chrome-beta"},
    {"chrome-dev", "Google Chrome Dev", "google-chrome-unstable", "com.google.ChromeDev"},
    {"chrome-for-testing", "Chrome for Testing", "google-chrome-for-testing"},
    {"chromium", "Chromium", "chromium", "org.chromium.Chromium", "chromium"},
    {"edge", "Microsoft Edge", "microsoft-edge", "com.microsoft.Edge"},
    {"edge-beta", "Microsoft Edge Beta", "microsoft-edge-beta"},
    {"edge-dev", "Microsoft Edge Dev", "microsoft-edge-dev"},
    {"brave", "Brave", "BraveSoftware/Brave-Browser", "com.brave.Browser", "brave"},
    {"brave-beta", "Brave Beta", "BraveSoftware/Brave-Browser-Beta"},
    {"brave-nightly", "Brave Nightly", "BraveSoftware/Brave-Browser-Nightly"},
    {"vivaldi", "Vivaldi", "vivaldi", "com.vivaldi.Vivaldi"},
    {"vivaldi-snapshot", "Vivaldi Snapshot", "vivaldi-snapshot"},
};

constexpr PosixRow k_macos_chromium[] = {
    {"chrome", "Google Chrome", "Google/Chrome"},
    {"chrome-beta", "Google Chrome Beta", "Google/Chrome Beta"},
    {"chrome-dev", "Google Chrome Dev", "Google/Chrome Dev"},
    {"chrome-canary", "Google Chrome Canary", "Google/Chrome Canary"},
    {"chrome-for-testing", "Chrome for Testing", "Google/Chrome for Testing"},
    {"chromium", "Chromium", "Chromium"},
    {"edge", "Microsoft Edge", "Microsoft Edge"},
    {"edge-beta", "Microsoft Edge Beta", "Microsoft Edge Beta"},
    {"edge-dev", "Microsoft Edge Dev", "Microsoft Edge Dev"},
    {"edge-canary", "Microsoft Edge Canary", "Microsoft Edge Canary"},
    {"brave", "Brave", "BraveSoftware/Brave-Browser"},
    {"brave-beta", "Brave Beta", "BraveSoftware/Brave-Browser-Beta"},
    {"brave-nightly", "Brave Nightly", "BraveSoftware/Brave-Browser-Nightly"},
    {"vivaldi", "Vivaldi", "Vivaldi"},
};

struct WindowsRow {
    const char* id;
    const char* label;
    BrowserFamily family;
    const char* vendor_key;                   // under HKCU, + \NativeMessagingHosts\<name>
    std::vector<const char*> profiles;        // under %LOCALAPPDATA% (Firefox: %APPDATA%)
    std::vector<const char*> also_covers;     // channels that read the same key
};

const std::vector<WindowsRow>& windows_rows() {
    static const std::vector<WindowsRow> rows = {
        {"chrome", "Google Chrome", BrowserFamily::chromium, "Software\\Google\\Chrome",
         {"Google/Chrome/User Data", "Google/Chrome Beta/User Data", "Google/Chrome Dev/User Data",
          "Google/Chrome SxS/User Data", "Google/Chrome for Testing/User Data"},
         {"chrome-beta", "chrome-dev", "chrome-canary", "chrome-for-testing"}},
        {"chromium", "Chromium", BrowserFamily::chromium, "Software\\Chromium", {"Chromium/User Data"}, {}},
        {"edge", "Microsoft Edge", BrowserFamily::chromium, "Software\\Microsoft\\Edge",
         {"Microsoft/Edge/User Data", "Microsoft/Edge Beta/User Data", "Microsoft/Edge Dev/User Data",
          "Microsoft/Edge SxS/User Data"},
         {"edge-beta", "edge-dev", "edge-canary"}},
        {"brave", "Brave", BrowserFamily::chromium, "Software\\BraveSoftware\\Brave-Browser",
         {"BraveSoftware/Brave-Browser/User Data"}, {}},
        {"vivaldi", "Vivaldi", BrowserFamily::chromium, "Software\\Vivaldi", {"Vivaldi/User Data"}, {}},
        {"firefox", "Firefox", BrowserFamily::firefox, "Software\\Mozilla", {"Mozilla/Firefox"}, {}},
    };
    return rows;
}

BrowserTarget make_target(const char* id, const char* label, BrowserFamily family) {
    BrowserTarget t;
    t.id = id;
    t.label = label;
    t.family = family;
    return t;
}

SandboxedInstall sandbox(SandboxedInstall::Kind kind, const char* app, fs::path dir, bool reaches_host = false) {
    SandboxedInstall s;
    s.kind = kind;
    s.app = app;
    s.dir = std::move(dir);
    s.reaches_host = reaches_host;
    return s;
}

std::string manifest_name() { return std::string(k_host_name) + ".json"; }

void add_posix(const BrowserEnv& env, std::vector<BrowserTarget>& out) {
    const bool mac = env.os == Os::macos;
    const fs::path base = mac ? env.home / "Library" / "Application Support" : env.config_home;
    auto add_rows = [&](const auto& rows) {
        for (const PosixRow& row : rows) {
            BrowserTarget t = make_target(row.id, row.label, BrowserFamily::chromium);
            fs::path user_data = base / row.dir;
            t.profile_dirs = {user_data};
            t.manifest_file = user_data / "NativeMessagingHosts" / manifest_name();
            if (!mac && row.flatpak)
                t.sandboxes.push_back(sandbox(SandboxedInstall::Kind::flatpak, row.flatpak, env.home / ".var/app" / row.flatpak));
            if (!mac && row.snap)
                t.sandboxes.push_back(sandbox(SandboxedInstall::Kind::snap, row.snap, env.home / "snap" / row.snap));
            out.push_back(std::move(t));
        }
    };
    if (mac) add_rows(k_macos_chromium);
    else add_rows(k_linux_chromium);
    // Firefox: MDN "Native manifests" (per-user locations).
    BrowserTarget ff = make_target("firefox", "Firefox", BrowserFamily::firefox);
    if (mac) {
        ff.profile_dirs = {base / "Firefox"};
        ff.manifest_file = base / "Mozilla" / "NativeMessagingHosts" / manifest_name();
    } else {
        ff.profile_dirs = {env.home / ".mozilla"};
        ff.manifest_file = env.home / ".mozilla" / "native-messaging-hosts" / manifest_name();
        ff.sandboxes.push_back(sandbox(SandboxedInstall::Kind::flatpak, "org.mozilla.firefox", env.home / ".var/app/org.mozilla.firefox"));
        ff.sandboxes.push_back(sandbox(SandboxedInstall::Kind::snap, "firefox", env.home / "snap/firefox", true));
    }
    out.push_back(std::move(ff));
}

void add_windows(const BrowserEnv& env, std::vector<BrowserTarget>& out) {
    // One manifest per family in TabAgent's own folder; each browser's key points at it (Chrome's
    // documentation: the registry value is the manifest's full path).
    const fs::path dir = env.data_dir / "native-messaging";
    for (const WindowsRow& row : windows_rows()) {
        BrowserTarget t = make_target(row.id, row.label, row.family);
        for (const char* c : row.also_covers) t.also_covers.emplace_back(c);
        const fs::path& root = row.family == BrowserFamily::firefox ? env.app_data : env.local_app_data;
        for (const char* p : row.profiles) t.profile_dirs.push_back(root / fs::path(p).make_preferred());
        t.manifest_file = dir / (std::string(k_host_name) + (row.family == BrowserFamily::firefox ? ".firefox" : ".chrome") + ".json");
        t.registry_key = std::string(row.vendor_key) + "\\NativeMessagingHosts\\" + k_host_name;
        out.push_back(std::move(t));
    }
}

} // namespace

BrowserEnv BrowserEnv::from_process(const Config& config) {
    BrowserEnv env;
    env.os = platform::os_kind();
    env.data_dir = config.data_dir;
    // env_string is UTF-8 (on Windows through the process seam): paths come from it as UTF-8.
    auto var = [](const char* name) { return env_string(name).value_or(""); };
    auto path_var = [&](const char* name) { return from_utf8(var(name)); };
    env.home = path_var(env.os == Os::windows ? "USERPROFILE" : "HOME");
    if (env.home.empty()) env.home = path_var("HOME");
    // chrome_paths_linux.cc: $CHROME_CONFIG_HOME, else $XDG_CONFIG_HOME, else ~/.config.
    env.config_home = path_var("CHROME_CONFIG_HOME");
    if (env.config_home.empty()) env.config_home = path_var("XDG_CONFIG_HOME");
    if (env.config_home.empty() || env.config_home.is_relative()) env.config_home = env.home / ".config";
    env.local_app_data = path_var("LOCALAPPDATA");
    if (env.local_app_data.empty()) env.local_app_data = env.home / "AppData" / "Local";
    env.app_data = path_var("APPDATA");
    if (env.app_data.empty()) env.app_data = env.home / "AppData" / "Roaming";
    // A scratch root in tests (and a package's staging root): where /etc, /usr/lib, /Library are.
    if (auto root = env_string("TABAGENT_SYSTEM_ROOT"); root && !root->empty()) env.system_root = from_utf8(*root);
    // Colon separated like PATH (semicolons on Windows, where a colon follows the drive letter).
    const char separator = env.os == Os::windows ? ';' : ':';
    std::string dirs = var("TABAGENT_BROWSER_DIRS");
    for (std::size_t start = 0; start < dirs.size();) {
        std::size_t end = dirs.find(separator, start);
        if (end == std::string::npos) end = dirs.size();
        if (end > start) env.extra_dirs.push_back(dirs.substr(start, end - start));
        start = end + 1;
    }
    return env;
}

std::vector<BrowserTarget> browser_table(const BrowserEnv& env) {
    std::vector<BrowserTarget> out;
    if (env.os == Os::windows) add_windows(env, out);
    else add_posix(env, out);
    // Extra manifest folders (a test profile's <user-data-dir>/NativeMessagingHosts), as
    // installer/install.sh takes them: "firefox:DIR" for the Firefox flavour.
    for (const auto& entry : env.extra_dirs) {
        BrowserTarget t;
        std::string dir = entry;
        if (dir.rfind("firefox:", 0) == 0) {
            t.family = BrowserFamily::firefox;
            dir = dir.substr(8);
        } else if (dir.rfind("chrome:", 0) == 0) {
            dir = dir.substr(7);
        }
        t.id = "dir:" + dir;
        t.label = "profile " + dir;
        t.manifest_file = from_utf8(dir) / manifest_name();
        t.explicit_dir = true;
        out.push_back(std::move(t));
    }
    return out;
}

bool is_present(const BrowserTarget& target) {
    if (target.explicit_dir) return true;
    std::error_code ec;
    return std::any_of(target.profile_dirs.begin(), target.profile_dirs.end(),
                       [&](const fs::path& p) { return fs::is_directory(p, ec); });
}

std::vector<SandboxedInstall> sandboxes_present(const BrowserTarget& target) {
    std::vector<SandboxedInstall> found;
    std::error_code ec;
    for (const auto& s : target.sandboxes)
        if (fs::is_directory(s.dir, ec)) found.push_back(s);
    return found;
}

std::vector<BrowserTarget> system_manifests(const BrowserEnv& env) {
    // chrome/common/chrome_paths.cc (DIR_NATIVE_MESSAGING) for Chrome and Chromium; Edge's own
    // documentation; MDN "Native manifests" for Firefox.
    struct Row {
        const char* label;
        BrowserFamily family;
        const char* dir;
    };
    static const Row linux_rows[] = {
        {"Google Chrome (system)", BrowserFamily::chromium, "etc/opt/chrome/native-messaging-hosts"},
        {"Chromium (system)", BrowserFamily::chromium, "etc/chromium/native-messaging-hosts"},
        {"Microsoft Edge (system)", BrowserFamily::chromium, "etc/opt/edge/native-messaging-hosts"},
        {"Firefox (system)", BrowserFamily::firefox, "usr/lib/mozilla/native-messaging-hosts"},
        {"Firefox (system, lib64)", BrowserFamily::firefox, "usr/lib64/mozilla/native-messaging-hosts"},
    };
    static const Row macos_rows[] = {
        {"Google Chrome (system)", BrowserFamily::chromium, "Library/Google/Chrome/NativeMessagingHosts"},
        {"Chromium (system)", BrowserFamily::chromium, "Library/Application Support/Chromium/NativeMessagingHosts"},
        {"Microsoft Edge (system)", BrowserFamily::chromium, "Library/Microsoft/Edge/NativeMessagingHosts"},
        {"Firefox (system)", BrowserFamily::firefox, "Library/Application Support/Mozilla/NativeMessagingHosts"},
    };
    std::vector<BrowserTarget> out;
    auto add = [&](const auto& rows) {
        for (const Row& row : rows) {
            BrowserTarget t = make_target("system", row.label, row.family);
            t.manifest_file = env.system_root / row.dir / manifest_name();
            out.push_back(std::move(t));
        }
    };
    if (env.os == Os::linux_) add(linux_rows);
    else if (env.os == Os::macos) add(macos_rows);
    return out;
}

fs::path registrations_file(const BrowserEnv& env) { return env.data_dir / "registrations.json"; }

bool matches(const BrowserTarget& target, std::string_view id) {
    return target.id == id || std::find(target.also_covers.begin(), target.also_covers.end(), id) != target.also_covers.end();
}

std::string sandbox_advice(const BrowserTarget& target, const SandboxedInstall& sandbox) {
    if (sandbox.reaches_host)
        // Firefox's snap asks xdg-desktop-portal's WebExtensions portal (Ubuntu 22.04+; Mozilla bug
        // 1661935), which reads the regular manifest: registering there is right.
        return target.label + " snap (" + utf8(sandbox.dir) + "): starts the host through the WebExtensions "
               "portal and reads the regular manifest; allow TabAgent when Firefox asks";
    if (sandbox.kind == SandboxedInstall::Kind::snap)
        return target.label + " snap (" + utf8(sandbox.dir) + "): a snap cannot start a program outside its "
               "confinement, so no manifest is written for it; install " + target.label + " from a .deb or "
               "the vendor's package to use TabAgent (chromium snap: no native-messaging portal support yet)";
    // Flatpak: a sandboxed browser cannot run host programs (flatpak/xdg-desktop-portal#655;
    // Mozilla bug 1621763); the upstream answer is xdg-native-messaging-proxy, not in browsers yet.
    return target.label + " Flatpak (" + sandbox.app + "): a Flatpak browser cannot start a host outside its "
           "sandbox (flatpak/xdg-desktop-portal#655), so no manifest is written for it; install " + target.label +
           " from the vendor's .deb/.rpm to use TabAgent";
}

} // namespace tabagent::host
