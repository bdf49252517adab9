#pragma once
// tabagent-host --install / --uninstall / --check (DESIGN §12, issue 14 item 3): register the
// host with each browser without admin rights, remove exactly what was written, and diagnose each
// registration the way the browser would read it (the browser itself only says "not found").
// Linux/macOS: a manifest file per browser; Windows: a manifest file plus an HKCU key whose default
// value is the manifest's path. What --install wrote is listed in <data dir>/registrations.json.
#include "core/config.hpp"
#include "core/error.hpp"
#include "host/browsers.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tabagent::host {

// The registry as registration uses it; system() is platform/registry.hpp, tests use a map.
struct RegistryAccess {
    std::function<Status(std::string_view key, std::string_view value)> set;
    std::function<Result<std::optional<std::string>>(std::string_view key)> get;
    std::function<Status(std::string_view key)> remove;
    static RegistryAccess system();
};

struct InstallOptions {
    std::vector<std::string> browsers;      // --browser ids, "all"; empty: every browser present
    std::vector<std::string> extension_ids; // --extension-id: Chrome ids (32 a-p) or Firefox add-on ids
    std::filesystem::path host_path;        // the binary the manifests name
    bool handshake = true;                  // check each written registration with a handshake
};

struct CheckOptions {
    bool handshake = true;
    std::filesystem::path manifest; // --manifest FILE: check this one file only
};

int run_install(std::ostream& out, const BrowserEnv& env, const InstallOptions& options, const RegistryAccess& registry);
int run_uninstall(std::ostream& out, const BrowserEnv& env, const RegistryAccess& registry);
// 0 when at least one registration exists and every one found works; 1 otherwise.
int run_check(std::ostream& out, const BrowserEnv& env, const CheckOptions& options, const RegistryAccess& registry);

// Handles --install/--uninstall/--check and their options; nullopt when `args` holds none of them.
// Bad usage prints a message and gives 2.
std::optional<int> run_registration_command(const std::vector<std::string>& args, const Config& config,
                                            std::ostream& out);

// The manifest text for one family: name, description, path, type, and the allowed origins
// (Chrome family: "chrome-extension://<id>/") or add-on ids (Firefox).
std::string render_manifest(BrowserFamily family, const std::filesystem::path& host_path,
                            const std::vector<std::string>& extra_ids);

struct ManifestReport {
    std::vector<std::string> problems; // empty: the registration works
    std::string summary;               // "answers handshake (version 0.1.0)"
    std::filesystem::path binary;      // the host the manifest names, resolved
};
// Reads one manifest as the browser would on `os`: JSON shape, name, type, path (absolute; on
// Windows also relative to the manifest's folder), origins, then (optionally) a framed handshake.
ManifestReport check_manifest(const std::filesystem::path& file, BrowserFamily family, platform::Os os,
                              bool handshake);

// "chrome-extension://" + 32 letters a-p + "/", exactly what Chrome accepts in allowed_origins.
bool is_extension_origin(std::string_view origin);

} // namespace tabagent::host
