#pragma once
// Which operating system this build targets, as a value: code outside the seam picks per-OS data
// (the browser registration table, for one) with it instead of testing platform macros.
#include "core/error.hpp"

#include <filesystem>

namespace tabagent::platform {

enum class Os { linux_, macos, windows };

// The system this binary was built for (a constant per build).
Os os_kind() noexcept;

// The running executable's absolute path (/proc/self/exe, _NSGetExecutablePath,
// GetModuleFileNameW). An error when the system cannot tell.
Result<std::filesystem::path> current_executable();

} // namespace tabagent::platform
