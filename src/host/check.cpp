// tabagent-host --check: the browser only ever says "host not found", so the host diagnoses each
// registration itself: where the browser looks (file or registry key), the manifest's shape, the
// binary it names, its origins, and a real framed handshake with that binary.
#include "host/registration.hpp"

#include "core/platform/spawn.hpp"
#include "host/framing.hpp"
#include "host/origin.hpp"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <set>

namespace tabagent::host {
namespace fs = std::filesystem;
using platform::Os;

namespace {

// The reply frame's body once the whole frame is in `bytes` (4-byte native-endian length first).
std::optional<std::string> whole_frame(std::string_view bytes) {
    if (bytes.size() < 4) return std::nullopt;
    std::uint32_t length = 0;
    std::memcpy(&length, bytes.data(), 4);
    if (bytes.size() - 4 < length) return std::nullopt;
    return std::string(bytes.substr(4, length));
}

// Starts the binary with the arguments the browser passes, sends one handshake frame, and waits
// up to 5 s for the reply. Returns the problem, empty when the host answered.
std::string handshake_with(const fs::path& binary, std::vector<std::string> args, nlohmann::json& reply) {
    platform::SpawnRequest request;
    request.program = binary;
    request.args = std::move(args);
    request.input = encode_frame(R"({"action":"handshake","messageId":"check"})");
    request.timeout = std::chrono::seconds(5);
    request.complete = [](std::string_view bytes) { return whole_frame(bytes).has_value(); };
    auto outcome = platform::run_exchange(request);
    if (!outcome) return outcome.error().message;
    auto body = whole_frame(outcome->output);
    if (!body) return outcome->timed_out ? "no reply within 5 s" : "no reply frame";
    reply = nlohmann::json::parse(*body, nullptr, false);
    if (!reply.is_object() || reply.value("messageId", "") != "check") return "malformed reply";
    if (reply.value("status", "") != "success") return "refused: " + reply.value("message", std::string("?"));
    return {};
}

// The host path as the browser resolves it; a problem when it cannot.
fs::path resolve_binary(const fs::path& manifest, const fs::path& path, Os os, std::vector<std::string>& problems) {
    if (path.empty()) {
        problems.push_back("\"path\" is missing");
        return {};
    }
    // On Windows Chrome resolves a relative path against the manifest's folder; on Linux and macOS
    // it refuses it (native_process_launcher.cc: "Native messaging host path must be absolute").
    // The path is judged by the browser's platform, so test the string's form, not fs::path's.
    const std::string text = utf8(path);
    const bool absolute = os == Os::windows
                              ? (text.size() > 2 && text[1] == ':' && (text[2] == '\\' || text[2] == '/')) ||
                                    text.rfind("\\\\", 0) == 0
                              : text.front() == '/';
    if (absolute) return path;
    if (os == Os::windows) return manifest.parent_path() / path;
    problems.push_back("\"path\" must be absolute on Linux and macOS (only Chrome on Windows accepts a path "
                       "relative to the manifest's folder): " + text);
    return {};
}

std::string check_origins(const nlohmann::json& m, BrowserFamily family, std::vector<std::string>& problems) {
    std::string origin;
    const char* field = family == BrowserFamily::firefox ? "allowed_extensions" : "allowed_origins";
    if (!m.contains(field) || !m[field].is_array() || m[field].empty()) {
        problems.push_back(std::string("\"") + field + "\" missing");
        return origin;
    }
    for (const auto& o : m[field]) {
        std::string s = o.is_string() ? o.get<std::string>() : "";
        if (family == BrowserFamily::firefox) {
            if (s.empty()) problems.push_back("\"allowed_extensions\" holds a non-string or empty entry");
            else if (origin.empty() || s == k_tabagent_firefox_id) origin = s;
        } else if (!is_extension_origin(s)) {
            problems.push_back("bad origin (needs chrome-extension://<32 a-p>/ with the slash): " + s);
        } else if (origin.empty() || s.find(k_tabagent_extension_id) != std::string::npos) {
            origin = s;
        }
    }
    return origin;
}

} // namespace

bool is_extension_origin(std::string_view s) {
    constexpr std::string_view prefix = "chrome-extension://";
    if (s.size() != prefix.size() + 33 || s.substr(0, prefix.size()) != prefix || s.back() != '/') return false;
    for (std::size_t i = prefix.size(); i < prefix.size() + 32; ++i)
        if (s[i] < 'a' || s[i] > 'p') return false;
    return true;
}

ManifestReport check_manifest(const fs::path& file, BrowserFamily family, Os os, bool handshake) {
    ManifestReport report;
    auto& problems = report.problems;
    std::ifstream in(file, std::ios::binary);
    auto m = nlohmann::json::parse(in, nullptr, false);
    if (!m.is_object()) return {{"manifest is not valid JSON"}, {}, {}};
    if (m.value("name", "") != k_host_name) problems.push_back("\"name\" must be com.tabagent.host");
    if (m.value("type", "") != "stdio") problems.push_back("\"type\" must be \"stdio\"");
    fs::path binary = resolve_binary(
        file, from_utf8(m.contains("path") && m["path"].is_string() ? m["path"].get<std::string>() : ""), os, problems);
    if (!binary.empty() && !platform::is_executable(binary))
        problems.push_back("binary missing or not executable: " + utf8(binary));
    report.binary = binary;
    std::string origin = check_origins(m, family, problems);
    if (problems.empty() && handshake) {
        nlohmann::json reply;
        // Firefox passes the manifest path and the add-on id; Chrome the origin, and on Windows
        // the parent window's handle after it (native_process_launcher.cc).
        std::vector<std::string> args;
        if (family == BrowserFamily::firefox) args = {utf8(file), origin};
        else args = {origin};
        if (family == BrowserFamily::chromium && os == Os::windows) args.push_back("--parent-window=0");
        std::string err = handshake_with(binary, args, reply);
        if (!err.empty()) problems.push_back("handshake failed: " + err);
        else report.summary = "answers handshake (version " + reply["payload"].value("version", std::string("?")) + ")";
    } else if (problems.empty()) {
        report.summary = "manifest valid (handshake skipped)";
    }
    return report;
}

namespace {

struct Tally {
    int registered = 0;
    int broken = 0;
};

void report_manifest(std::ostream& out, const std::string& label, const fs::path& file, const std::string& via,
                     BrowserFamily family, Os os, bool handshake, Tally& tally) {
    ++tally.registered;
    auto report = check_manifest(file, family, os, handshake);
    if (report.problems.empty()) {
        out << "  " << label << ": OK, " << report.summary << " (" << via << ")\n";
        return;
    }
    ++tally.broken;
    out << "  " << label << ": BROKEN (" << via << ")\n";
    for (const auto& p : report.problems) out << "      - " << p << "\n";
}

// One table entry: where its browser looks, then the sandboxed packages beside it.
void check_target(std::ostream& out, const BrowserTarget& t, const BrowserEnv& env, const CheckOptions& options,
                  const RegistryAccess& registry, Tally& tally, std::set<fs::path>& seen) {
    std::error_code ec;
    if (!t.registry_key.empty()) {
        const std::string key = "HKCU\\" + t.registry_key;
        auto value = registry.get(t.registry_key);
        if (!value) {
            ++tally.registered;
            ++tally.broken;
            out << "  " << t.label << ": BROKEN (" << key << ")\n      - " << value.error().message << "\n";
        } else if (!*value) {
            if (is_present(t)) out << "  " << t.label << ": not registered (" << key << ")\n";
        } else {
            fs::path manifest = from_utf8(**value);
            seen.insert(manifest);
            // Chrome: "Path to native messaging host manifest must be absolute" (FindManifest).
            if (!(manifest.is_absolute() || (value->value().size() > 2 && value->value()[1] == ':'))) {
                ++tally.registered;
                ++tally.broken;
                out << "  " << t.label << ": BROKEN (" << key << ")\n      - the key must name the manifest by its "
                    << "absolute path: " << utf8(manifest) << "\n";
            } else if (!fs::exists(manifest, ec)) {
                ++tally.registered;
                ++tally.broken;
                out << "  " << t.label << ": BROKEN (" << key << ")\n      - the manifest it names is missing: "
                    << utf8(manifest) << "\n";
            } else {
                report_manifest(out, t.label, manifest, key + " -> " + utf8(manifest), t.family, env.os,
                                options.handshake, tally);
            }
        }
    } else if (fs::exists(t.manifest_file, ec)) {
        seen.insert(t.manifest_file);
        report_manifest(out, t.label, t.manifest_file, utf8(t.manifest_file), t.family, env.os, options.handshake, tally);
    } else if (is_present(t)) {
        out << "  " << t.label << ": not registered (" << utf8(t.manifest_file) << ")\n";
    }
    for (const auto& s : sandboxes_present(t)) out << "  note: " << sandbox_advice(t, s) << "\n";
}

} // namespace

int run_check(std::ostream& out, const BrowserEnv& env, const CheckOptions& options, const RegistryAccess& registry) {
    Tally tally;
    if (!options.manifest.empty()) {
        std::ifstream in(options.manifest, std::ios::binary);
        auto m = nlohmann::json::parse(in, nullptr, false);
        auto family = m.is_object() && m.contains("allowed_extensions") ? BrowserFamily::firefox : BrowserFamily::chromium;
        report_manifest(out, "manifest", options.manifest, utf8(options.manifest), family, env.os, options.handshake, tally);
        return tally.broken == 0 ? 0 : 1;
    }
    std::set<fs::path> seen;
    for (const auto& t : browser_table(env)) check_target(out, t, env, options, registry, tally, seen);
    // System-wide manifests (a package's), read by the browsers after the per-user ones.
    for (const auto& t : system_manifests(env)) {
        std::error_code ec;
        if (seen.count(t.manifest_file) || !fs::exists(t.manifest_file, ec)) continue;
        seen.insert(t.manifest_file);
        report_manifest(out, t.label, t.manifest_file, utf8(t.manifest_file), t.family, env.os, options.handshake, tally);
    }
    // Manifests --install wrote elsewhere (a TABAGENT_BROWSER_DIRS folder no longer listed).
    std::ifstream in(registrations_file(env), std::ios::binary);
    auto record = nlohmann::json::parse(in, nullptr, false);
    if (record.is_object() && record.contains("manifests") && record["manifests"].is_array()) {
        std::error_code ec;
        for (const auto& entry : record["manifests"]) {
            fs::path file = from_utf8(entry.value("path", ""));
            if (file.empty() || seen.count(file)) continue;
            seen.insert(file);
            auto family = entry.value("family", "") == "firefox" ? BrowserFamily::firefox : BrowserFamily::chromium;
            if (!fs::exists(file, ec)) {
                ++tally.registered;
                ++tally.broken;
                out << "  recorded: BROKEN (" << utf8(file) << ")\n      - written by --install, now missing\n";
            } else {
                report_manifest(out, "recorded", file, utf8(file), family, env.os, options.handshake, tally);
            }
        }
    }
    if (tally.registered == 0) {
        out << "No browser has the host registered. Run tabagent-host --install (or installer/install.sh).\n";
        return 1;
    }
    out << tally.registered - tally.broken << " of " << tally.registered << " registrations work.\n";
    return tally.broken == 0 ? 0 : 1;
}

} // namespace tabagent::host
