#pragma once
// Who may talk to the host. Chrome passes "chrome-extension://<id>/" as argv[1]; Firefox passes
// the manifest path then the add-on id. Allowed: TabAgent's id, its Firefox id, and ids listed in
// TABAGENT_ALLOWED_EXTENSIONS (comma separated) or <data dir>/config.json "allowed_extension_ids".
#include <filesystem>
#include <string>
#include <vector>

namespace tabagent::host {

inline constexpr const char* k_tabagent_extension_id = "fkkeoobeahalebjpbockfedlncckobjb";
inline constexpr const char* k_tabagent_firefox_id = "tabagent@tabagent.com";

struct Caller {
    std::string origin;       // as given ("chrome-extension://id/" or the Firefox add-on id)
    std::string extension_id; // the id alone
    bool from_browser = false;
};

// Reads the caller from argv (skipping flags such as --parent-window=N).
Caller caller_from_args(const std::vector<std::string>& args);
std::vector<std::string> allowed_extension_ids(const std::filesystem::path& data_dir);
// A caller without any origin argument (run by hand or by a test harness) is allowed.
bool is_allowed(const Caller& caller, const std::vector<std::string>& allowed);

} // namespace tabagent::host
