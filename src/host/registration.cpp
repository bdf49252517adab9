// tabagent-host --install / --uninstall: per-user registration with every browser found, and a
// record of exactly what was written so that --uninstall removes that and nothing else.
#include "host/registration.hpp"

#include "core/platform/registry.hpp"
#include "core/util/atomic_file.hpp"
#include "host/origin.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

namespace tabagent::host {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return json::object();
    auto j = json::parse(in, nullptr, false);
    return j.is_object() ? j : json::object();
}

Status write_json(const fs::path& file, const json& j) {
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    return util::write_file_atomically(file, j.dump(2) + "\n");
}

// Appends `value` to the array `j[key]` unless it is there already.
void add_unique(json& j, const char* key, const json& value) {
    if (!j.contains(key) || !j[key].is_array()) j[key] = json::array();
    if (std::find(j[key].begin(), j[key].end(), value) == j[key].end()) j[key].push_back(value);
}

// create_directories that records each folder it made (and only those), deepest last.
Status make_dirs(const fs::path& dir, json& record) {
    std::vector<fs::path> missing;
    std::error_code ec;
    for (fs::path d = dir; !d.empty() && !fs::exists(d, ec); d = d.parent_path()) {
        missing.push_back(d);
        if (d == d.parent_path()) break;
    }
    fs::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::internal, "cannot create " + utf8(dir) + ": " + ec.message());
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) add_unique(record, "dirs", utf8(*it));
    return {};
}

bool is_chrome_id(std::string_view id) {
    return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) { return c >= 'a' && c <= 'p'; });
}

// A Firefox add-on id: "name@domain" or a "{uuid}" (what install.sh accepts).
bool is_firefox_id(std::string_view id) {
    auto at = id.find('@');
    if (at != std::string_view::npos) return at + 1 < id.size() && id.find_first_of(" \t\"\\/") == std::string_view::npos;
    return id.size() == 38 && id.front() == '{' && id.back() == '}';
}

// Adds the extra ids to <data dir>/config.json "allowed_extension_ids" (the host's own origin
// check reads them) and records which ids were added and whether the file was created.
Status allow_ids(const BrowserEnv& env, const std::vector<std::string>& ids, json& record, std::ostream& out) {
    if (ids.empty()) return {};
    const fs::path file = env.data_dir / "config.json";
    std::error_code ec;
    const bool existed = fs::exists(file, ec);
    json config = json::object();
    if (existed) {
        std::ifstream in(file, std::ios::binary);
        config = json::parse(in, nullptr, false);
        if (!config.is_object()) return fail(ErrorCode::bad_request, utf8(file) + " is not a JSON object; fix or remove it");
    }
    if (!existed) record["config_created"] = true;
    for (const auto& id : ids) {
        if (config.contains("allowed_extension_ids") && config["allowed_extension_ids"].is_array() &&
            std::find(config["allowed_extension_ids"].begin(), config["allowed_extension_ids"].end(), id) !=
                config["allowed_extension_ids"].end())
            continue;
        add_unique(config, "allowed_extension_ids", id);
        add_unique(record, "config_ids", id);
    }
    out << "  allowed extension ids added to " << utf8(file) << "\n";
    return write_json(file, config);
}

void disallow_ids(const BrowserEnv& env, const json& record, std::ostream& out) {
    if (!record.contains("config_ids")) return;
    const fs::path file = env.data_dir / "config.json";
    json config = read_json(file);
    if (config.contains("allowed_extension_ids") && config["allowed_extension_ids"].is_array()) {
        json kept = json::array();
        for (const auto& id : config["allowed_extension_ids"])
            if (std::find(record["config_ids"].begin(), record["config_ids"].end(), id) == record["config_ids"].end())
                kept.push_back(id);
        config["allowed_extension_ids"] = kept;
        if (kept.empty()) config.erase("allowed_extension_ids");
    }
    std::error_code ec;
    if (record.value("config_created", false) && config.empty()) fs::remove(file, ec);
    else if (fs::exists(file, ec)) (void)write_json(file, config);
    out << "  removed the added extension ids from " << utf8(file) << "\n";
}

// Which table entries --install writes, and the sandbox notes it prints on the way.
Result<std::vector<BrowserTarget>> select_targets(const BrowserEnv& env, const std::vector<std::string>& wanted,
                                                  std::ostream& out) {
    auto table = browser_table(env);
    const bool all = std::find(wanted.begin(), wanted.end(), "all") != wanted.end();
    for (const auto& id : wanted) {
        if (id == "all") continue;
        if (std::none_of(table.begin(), table.end(), [&](const BrowserTarget& t) { return matches(t, id); })) {
            std::string known;
            for (const auto& t : table)
                if (!t.explicit_dir) known += " " + t.id;
            return fail(ErrorCode::bad_request, "unknown browser '" + id + "'; known here:" + known + " all");
        }
    }
    std::vector<BrowserTarget> chosen;
    for (auto& t : table) {
        bool asked = all || t.explicit_dir ||
                     std::any_of(wanted.begin(), wanted.end(), [&](const std::string& id) { return matches(t, id); });
        bool reaches = false;
        for (const auto& s : sandboxes_present(t)) {
            out << "  note: " << sandbox_advice(t, s) << "\n";
            reaches = reaches || s.reaches_host;
        }
        if (asked || (wanted.empty() && (is_present(t) || reaches))) chosen.push_back(std::move(t));
    }
    return chosen;
}

// Writes one target's manifest (once per file) and, on Windows, its key.
Status register_target(const BrowserTarget& t, const std::string& text, const RegistryAccess& registry, json& record,
                       std::set<fs::path>& written) {
    if (written.insert(t.manifest_file).second) {
        if (auto s = make_dirs(t.manifest_file.parent_path(), record); !s) return s;
        if (auto s = util::write_file_atomically(t.manifest_file, text); !s) return s;
        json entry = {{"path", utf8(t.manifest_file)},
                      {"family", t.family == BrowserFamily::firefox ? "firefox" : "chromium"}};
        add_unique(record, "manifests", entry);
    }
    if (t.registry_key.empty()) return {};
    if (auto s = registry.set(t.registry_key, utf8(t.manifest_file)); !s) return s;
    add_unique(record, "registry_keys", json{{"key", t.registry_key}, {"value", utf8(t.manifest_file)}});
    return {};
}

} // namespace

RegistryAccess RegistryAccess::system() {
    return {platform::set_user_default_value, platform::get_user_default_value, platform::delete_user_key};
}

std::string render_manifest(BrowserFamily family, const fs::path& host_path, const std::vector<std::string>& extra_ids) {
    json m = {{"name", k_host_name},
              {"description", "TabAgent native host: model cache and downloads"},
              {"path", utf8(host_path)},
              {"type", "stdio"}};
    json list = json::array();
    if (family == BrowserFamily::firefox) {
        list.push_back(k_tabagent_firefox_id);
        for (const auto& id : extra_ids)
            if (is_firefox_id(id) && std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
        m["allowed_extensions"] = list;
    } else {
        list.push_back(std::string("chrome-extension://") + k_tabagent_extension_id + "/");
        for (const auto& id : extra_ids) {
            std::string origin = "chrome-extension://" + id + "/";
            if (is_chrome_id(id) && std::find(list.begin(), list.end(), origin) == list.end()) list.push_back(origin);
        }
        m["allowed_origins"] = list;
    }
    return m.dump(2) + "\n";
}

int run_install(std::ostream& out, const BrowserEnv& env, const InstallOptions& options, const RegistryAccess& registry) {
    std::vector<std::string> ids;
    for (std::string id : options.extension_ids) {
        if (id.rfind("chrome-extension://", 0) == 0) id = id.substr(19);
        if (!id.empty() && id.back() == '/') id.pop_back();
        if (!is_chrome_id(id) && !is_firefox_id(id)) {
            out << "tabagent-host: '" << id << "' is neither a Chrome extension id (32 letters a-p) nor a Firefox "
                << "add-on id (name@domain or {uuid})\n";
            return 2;
        }
        if (id != k_tabagent_extension_id && id != k_tabagent_firefox_id) ids.push_back(id);
    }
    out << "Registering " << utf8(options.host_path) << " as " << k_host_name << ":\n";
    auto targets = select_targets(env, options.browsers, out);
    if (!targets) {
        out << "tabagent-host: " << targets.error().message << "\n";
        return 2;
    }
    json record = read_json(registrations_file(env));
    std::set<fs::path> written;
    int failures = 0;
    for (const auto& t : *targets) {
        auto s = register_target(t, render_manifest(t.family, options.host_path, ids), registry, record, written);
        if (!s) {
            ++failures;
            out << "  " << t.label << ": FAILED: " << s.error().message << "\n";
            continue;
        }
        out << "  " << t.label << ": " << utf8(t.manifest_file)
            << (t.registry_key.empty() ? "" : " (HKCU\\" + t.registry_key + ")") << "\n";
    }
    if (auto s = allow_ids(env, ids, record, out); !s) {
        ++failures;
        out << "  FAILED: " << s.error().message << "\n";
    }
    if (auto s = write_json(registrations_file(env), record); !s) {
        out << "tabagent-host: cannot write " << utf8(registrations_file(env)) << ": " << s.error().message << "\n";
        return 1;
    }
    if (targets->empty()) {
        out << "No browser found; nothing registered. Once a browser has run, install again, or name one: "
            << "--browser <id> (or --browser all).\n";
        return failures == 0 ? 0 : 1;
    }
    std::set<fs::path> checked;
    for (const auto& t : *targets) {
        if (!written.count(t.manifest_file) || !checked.insert(t.manifest_file).second) continue;
        auto report = check_manifest(t.manifest_file, t.family, env.os, options.handshake);
        if (!report.problems.empty()) {
            ++failures;
            out << "  PROBLEM with " << utf8(t.manifest_file) << ":\n";
            for (const auto& p : report.problems) out << "      - " << p << "\n";
        }
    }
    out << (failures == 0 ? "Installed" : "Installed with problems (see above)") << "; the list is in "
        << utf8(registrations_file(env)) << ". Remove with: tabagent-host --uninstall\n";
    return failures == 0 ? 0 : 1;
}

int run_uninstall(std::ostream& out, const BrowserEnv& env, const RegistryAccess& registry) {
    const fs::path file = registrations_file(env);
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        out << "Nothing to uninstall: " << utf8(file) << " not found.\n";
        return 0;
    }
    json record = read_json(file);
    int failures = 0;
    for (const auto& entry : record.value("registry_keys", json::array())) {
        const std::string key = entry.value("key", ""), value = entry.value("value", "");
        auto current = registry.get(key);
        // A key now naming another manifest was rewritten by someone else: leave it.
        if (current && *current && **current != value) {
            out << "  left HKCU\\" << key << ": it now names " << **current << "\n";
            continue;
        }
        if (current && !*current) continue;
        if (auto s = registry.remove(key); !s) {
            ++failures;
            out << "  FAILED to delete HKCU\\" << key << ": " << s.error().message << "\n";
        } else {
            out << "  deleted HKCU\\" << key << "\n";
        }
    }
    for (const auto& entry : record.value("manifests", json::array())) {
        fs::path manifest = from_utf8(entry.value("path", ""));
        if (!manifest.empty() && fs::remove(manifest, ec)) out << "  removed " << utf8(manifest) << "\n";
        else if (ec) {
            ++failures;
            out << "  FAILED to remove " << utf8(manifest) << ": " << ec.message() << "\n";
        }
    }
    disallow_ids(env, record, out);
    fs::remove(file, ec);
    // Folders --install made, deepest first, only when empty now.
    std::vector<std::string> dirs;
    for (const auto& d : record.value("dirs", json::array()))
        if (d.is_string()) dirs.push_back(d.get<std::string>());
    std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& d : dirs)
        if (fs::is_directory(from_utf8(d), ec) && fs::is_empty(from_utf8(d), ec)) fs::remove(from_utf8(d), ec);
    out << (failures == 0 ? "Uninstalled." : "Uninstalled with problems (see above).") << "\n";
    return failures == 0 ? 0 : 1;
}

} // namespace tabagent::host
