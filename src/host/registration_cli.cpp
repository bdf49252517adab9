// The command line of --install / --uninstall / --check (README "Registering the host").
#include "core/platform/fs.hpp"
#include "core/platform/os.hpp"
#include "host/registration.hpp"

namespace tabagent::host {

namespace {

struct Parsed {
    std::string mode;
    InstallOptions install;
    CheckOptions check;
    std::string error;
};

// "--name VALUE" or "--name=VALUE"; advances i past the value.
bool take_value(const std::vector<std::string>& args, std::size_t& i, std::string_view name, std::string& value,
                std::string& error) {
    const std::string& a = args[i];
    if (a.size() > name.size() && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
        value = a.substr(name.size() + 1);
        return true;
    }
    if (a != name) return false;
    if (i + 1 >= args.size()) {
        error = std::string(name) + " needs a value";
        return true;
    }
    value = args[++i];
    return true;
}

Parsed parse(const std::vector<std::string>& args) {
    Parsed p;
    for (std::size_t i = 0; i < args.size() && p.error.empty(); ++i) {
        const std::string& a = args[i];
        std::string value;
        if (a == "--install" || a == "--uninstall" || a == "--check") {
            if (!p.mode.empty() && p.mode != a) p.error = p.mode + " and " + a + " do not go together";
            p.mode = a;
        } else if (take_value(args, i, "--browser", value, p.error)) {
            if (p.error.empty()) p.install.browsers.push_back(value);
        } else if (take_value(args, i, "--extension-id", value, p.error)) {
            if (p.error.empty()) p.install.extension_ids.push_back(value);
        } else if (take_value(args, i, "--host-path", value, p.error)) {
            if (p.error.empty()) p.install.host_path = std::filesystem::absolute(platform::u8path(value));
        } else if (take_value(args, i, "--manifest", value, p.error)) {
            if (p.error.empty()) p.check.manifest = value;
        } else if (a == "--no-handshake") {
            p.install.handshake = p.check.handshake = false;
        }
    }
    return p;
}

} // namespace

std::optional<int> run_registration_command(const std::vector<std::string>& args, const Config& config,
                                            std::ostream& out) {
    Parsed p = parse(args);
    if (p.mode.empty() && p.error.empty()) return std::nullopt;
    if (p.mode.empty()) return std::nullopt; // an option without a mode: not ours (the browser never passes these)
    if (!p.error.empty()) {
        out << "tabagent-host: " << p.error << "\n";
        return 2;
    }
    const BrowserEnv env = BrowserEnv::from_process(config);
    const RegistryAccess registry = RegistryAccess::system();
    if (p.mode == "--check") return run_check(out, env, p.check, registry);
    if (p.mode == "--uninstall") return run_uninstall(out, env, registry);
    if (p.install.host_path.empty()) {
        auto self = platform::current_executable();
        if (!self) {
            out << "tabagent-host: " << self.error().message << "; pass --host-path PATH\n";
            return 1;
        }
        p.install.host_path = *self;
    }
    return run_install(out, env, p.install, registry);
}

} // namespace tabagent::host
