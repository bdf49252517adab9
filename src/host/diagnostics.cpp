#include "host/diagnostics.hpp"

#include "core/cache/stats.hpp"
#include "core/system_info.hpp"
#include "host/origin.hpp"
#include "core/platform/fs.hpp"

namespace tabagent::host {

void print_help(std::ostream& out) {
    out << "tabagent-host " << TABAGENT_VERSION << " - the TabAgent native-messaging host\n\n"
        << "The browser starts this program and talks to it over stdin/stdout with length-prefixed\n"
        << "JSON frames. Run by hand it only prints this text.\n\n"
        << "Usage:\n"
        << "  tabagent-host chrome-extension://<id>/   (what the browser runs)\n"
        << "  tabagent-host --version                  print the version\n"
        << "  tabagent-host --install [--browser B]... [--extension-id ID]...\n"
        << "                                           register with the browsers found (B: an id such as\n"
        << "                                           chrome, chrome-beta, edge, brave, firefox, or all)\n"
        << "                 [--host-path P] [--no-handshake]   (P: the binary to register, default this one)\n"
        << "  tabagent-host --uninstall                remove what --install wrote\n"
        << "  tabagent-host --check [--no-handshake] [--manifest FILE]   check the browser registrations\n"
        << "  tabagent-host --verbose ...              also log to stderr\n\n"
        << "Environment: TABAGENT_CACHE, HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN,\n"
        << "TABAGENT_HOME, TABAGENT_LOG_LEVEL, TABAGENT_ALLOWED_EXTENSIONS, TABAGENT_MAX_CONNECTIONS, TABAGENT_START_CONNECTIONS,\n"
        << "TABAGENT_MAX_JOBS, TABAGENT_RATE_LIMIT, TABAGENT_MAX_MESSAGE_BYTES (see README.md).\n";
}

void print_diagnostics(std::ostream& out, const Config& config, const std::filesystem::path& log_file) {
    auto free = cache::disk_free(config.cache_root);
    out << "Diagnostics:\n"
        << "  cache root:   " << platform::reported_path(config.cache_root) << "\n"
        << "  disk free:    " << (free ? std::to_string(*free / (1024 * 1024)) + " MiB" : "unknown") << "\n"
        << "  data dir:     " << platform::reported_path(config.data_dir) << "\n"
        << "  log file:     " << (log_file.empty() ? "(none: cannot write the data dir)" : platform::reported_path(log_file)) << "\n"
        << "  endpoint:     " << config.endpoint << (config.offline ? " (offline)" : "") << "\n"
        << "  allowed ids:  ";
    for (const auto& id : allowed_extension_ids(config.data_dir)) out << id << " ";
    out << "\n";
}

} // namespace tabagent::host
