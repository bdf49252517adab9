#pragma once
// spdlog to a rotating file in the data dir; stderr too with --verbose. Never stdout: stdout
// carries frames only.
#include <filesystem>

namespace tabagent::host {

// Level from TABAGENT_LOG_LEVEL (trace, debug, info, warn, error, off; default info).
// Returns the log file path (empty when the file could not be opened: logging then goes nowhere
// unless verbose).
std::filesystem::path setup_logging(const std::filesystem::path& logs_dir, bool verbose);

} // namespace tabagent::host
