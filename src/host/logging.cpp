#include "host/logging.hpp"

#include "core/config.hpp"
#include "core/platform/process.hpp"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace tabagent::host {

std::filesystem::path setup_logging(const std::filesystem::path& logs_dir, bool verbose) {
    std::vector<spdlog::sink_ptr> sinks;
    std::filesystem::path file = logs_dir / "tabagent-host.log";
    try {
        // The data dir holds the token and the logs: when it is ours to create, it is private
        // (0700 on POSIX; the logs would otherwise be first to make it, with the umask's 0755).
        const auto data_dir = logs_dir.parent_path();
        std::error_code ec;
        if (!data_dir.empty() && !std::filesystem::exists(data_dir, ec)) {
            if (data_dir.has_parent_path()) std::filesystem::create_directories(data_dir.parent_path(), ec);
            (void)platform::create_private_directory(data_dir); // create_directories reports failures
        }
        std::filesystem::create_directories(logs_dir);
        // The path's own form (UTF-16 on Windows, where spdlog takes wide file names: a profile
        // folder named outside the ANSI code page must not lose the log).
        const spdlog::filename_t name = file.native();
        sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(name, 5 * 1024 * 1024, 3));
    } catch (const std::exception&) {
        file.clear();
    }
    if (verbose) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    if (sinks.empty()) sinks.push_back(std::make_shared<spdlog::sinks::null_sink_mt>());
    auto logger = std::make_shared<spdlog::logger>("host", sinks.begin(), sinks.end());
    // from_str maps unknown names to "off"; an unknown name means the default instead.
    std::string name = env_string("TABAGENT_LOG_LEVEL").value_or("info");
    auto level = spdlog::level::from_str(name);
    if (level == spdlog::level::off && name != "off") level = spdlog::level::info;
    logger->set_level(level);
    logger->flush_on(spdlog::level::info);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
    spdlog::set_default_logger(logger); // replaces the stdout logger spdlog starts with
    return file;
}

} // namespace tabagent::host
