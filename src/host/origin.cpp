#include "host/origin.hpp"

#include "core/config.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace tabagent::host {
namespace {
constexpr std::string_view k_chrome_scheme = "chrome-extension://";
} // namespace

std::optional<std::string_view> extension_id_of(std::string_view origin, OriginSource source) {
    if (origin.substr(0, k_chrome_scheme.size()) == k_chrome_scheme) {
        auto id = origin.substr(k_chrome_scheme.size());
        if (!id.empty() && id.back() == '/') id.remove_suffix(1);
        return id;
    }
    // Firefox passes no origin in argv, only the add-on id; a header never holds a bare id.
    if (source == OriginSource::native_messaging) return origin;
    return std::nullopt;
}

bool origin_allowed(std::string_view origin, OriginSource source, const std::vector<std::string>& allowed_ids) {
    const auto id = extension_id_of(origin, source);
    return id && !id->empty() && std::find(allowed_ids.begin(), allowed_ids.end(), *id) != allowed_ids.end();
}

Caller caller_from_args(const std::vector<std::string>& args) {
    Caller caller;
    std::vector<std::string> positional;
    for (const auto& a : args)
        if (a.rfind("--", 0) != 0) positional.push_back(a);
    if (positional.empty()) return caller;
    caller.from_browser = true;
    // Firefox: <path to manifest> <add-on id>; Chrome: <origin> (Windows adds --parent-window=N).
    const bool firefox = positional.size() >= 2 && positional[0].rfind(k_chrome_scheme, 0) != 0;
    caller.origin = firefox ? positional[1] : positional[0];
    caller.extension_id = std::string(extension_id_of(caller.origin, OriginSource::native_messaging).value_or(""));
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
    return !caller.from_browser || origin_allowed(caller.origin, OriginSource::native_messaging, allowed);
}

} // namespace tabagent::host
