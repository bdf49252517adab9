#pragma once
// Who may talk to the host: the one origin rule, for the native-messaging caller (argv) and the
// loopback file server's HTTP Origin header alike. Chrome passes "chrome-extension://<id>/" as
// argv[1] and sends "Origin: chrome-extension://<id>"; Firefox passes the manifest path then the
// add-on id. Allowed: TabAgent's id, its Firefox id, and ids listed in TABAGENT_ALLOWED_EXTENSIONS
// (comma separated) or <data dir>/config.json "allowed_extension_ids".
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::host {

inline constexpr const char* k_tabagent_extension_id = "fkkeoobeahalebjpbockfedlncckobjb";
inline constexpr const char* k_tabagent_firefox_id = "tabagent@tabagent.com";

// Where an origin was read: the forms a browser uses differ.
enum class OriginSource {
    native_messaging, // argv: "chrome-extension://<id>/" (Chrome) or the add-on id itself (Firefox)
    http_header,      // the Origin header: a serialised origin, "chrome-extension://<id>" only
};

// The extension id an origin names: "chrome-extension://<id>" with at most one trailing '/';
// from argv, anything else is taken as a Firefox add-on id as it stands. nullopt otherwise.
std::optional<std::string_view> extension_id_of(std::string_view origin, OriginSource source);

// The one decision: does `origin` name an extension in `allowed_ids` (ids without scheme)?
bool origin_allowed(std::string_view origin, OriginSource source, const std::vector<std::string>& allowed_ids);

struct Caller {
    std::string origin;       // as given ("chrome-extension://id/" or the Firefox add-on id)
    std::string extension_id; // the id alone
    bool from_browser = false;
};

// Reads the caller from argv (skipping flags such as --parent-window=N).
Caller caller_from_args(const std::vector<std::string>& args);
std::vector<std::string> allowed_extension_ids(const std::filesystem::path& data_dir);
// origin_allowed for the caller; one without any origin argument (run by hand or by a test
// harness) is allowed.
bool is_allowed(const Caller& caller, const std::vector<std::string>& allowed);

} // namespace tabagent::host
