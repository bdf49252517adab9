#include "host/origin.hpp"

#include "core/config.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace tabagent::host {

Caller caller_from_args(const std::vector<std::string>& args) {
    Caller caller;
    std::vector<std::string> positional;
    for (const auto& a : args)
        if (a.rfind("--", 0) != 0) positional.push_back(a);
    if (positional.empty()) return caller;
    const std::string prefix = "chrome-extension://";
    const std::string& first = positional[0];
    caller.from_browser = true;
    if (first.rfind(prefix, 0) == 0) {
        caller.origin = first;
        std::string id = first.substr(prefix.size());
        if (!id.empty() && id.back() == '/') id.pop_back();
        caller.extension_id = id;
    } else if (positional.size() >= 2) {
        // Firefox: <path to manifest> <add-on id>
        caller.origin = positional[1];
        caller.extension_id = positional[1];
    } else {
        caller.origin = first;
        caller.extension_id = first;
    }
    return caller;
}

std::vector<std::string> allowed_extension_ids(const std::filesystem::path& data_dir) {
    std::vector<std::string> ids{k_tabagent_extension_id, k_tabagent_firefox_id};
    if (auto extra = env_string("TABAGENT_ALLOWED_EXTENSIONS")) {
        std::string s = *extra;
        std::size_t start = 0;
        while (start <= s.size()) {
            auto end = s.find(',', start);
            if (end == std::string::npos) end = s.size();
            std::string id = s.substr(start, end - start);
            id.erase(std::remove_if(id.begin(), id.end(), ::isspace), id.end());
            if (!id.empty()) ids.push_back(id);
            start = end + 1;
        }
    }
    std::ifstream in(data_dir / "config.json");
    if (in) {
        auto j = nlohmann::json::parse(in, nullptr, false);
        if (j.is_object() && j.contains("allowed_extension_ids") && j["allowed_extension_ids"].is_array())
            for (const auto& id : j["allowed_extension_ids"])
                if (id.is_string()) ids.push_back(id.get<std::string>());
    }
    return ids;
}

bool is_allowed(const Caller& caller, const std::vector<std::string>& allowed) {
    if (!caller.from_browser) return true;
    if (caller.extension_id.empty()) return false;
    return std::find(allowed.begin(), allowed.end(), caller.extension_id) != allowed.end();
}

} // namespace tabagent::host
