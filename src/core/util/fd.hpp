#pragma once
// The util names of the platform seam's files and locks (core/platform/file.hpp), kept so callers
// read as before: UniqueFd is platform::File (an fd on POSIX, a HANDLE on Windows).
#include "core/error.hpp"
#include "core/platform/file.hpp"
#include "core/platform/fs.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace tabagent::util {

using UniqueFd = platform::File;
using FileLock = platform::FileLock;

// Maps an errno value to a protocol error: ENOSPC/EDQUOT -> DISK_FULL, ENOENT -> NOT_FOUND, others
// INTERNAL with the OS text (platform::os_error).
Error errno_error(int err, std::string what, const std::filesystem::path& path);
// The same for a std::error_code (std::filesystem's, or platform::last_error()).
Error fs_error(std::error_code ec, std::string what, const std::filesystem::path& path);

// fsync a folder so a rename or link inside it survives a power cut (platform::fsync_directory).
inline Status fsync_directory(const std::filesystem::path& dir) { return platform::fsync_directory(dir); }

// Creates `path` with `content` only when nothing is there yet (O_EXCL / CREATE_NEW): false when it
// already existed. No temp file, so nothing but the final name ever shows in the folder (the hub
// root, where other tools flag every unknown name).
Result<bool> create_new_file(const std::filesystem::path& path, std::string_view content);

// The whole of a small state file (a journal, a listing, a ref), nullopt when it cannot be read.
// Opened through the seam, so on Windows others may still rename over it or delete it while it is
// read: std::ifstream's CRT open shares no FILE_SHARE_DELETE, and an atomic replace by another
// thread or process then fails until this reader closes (found under Wine: the contention tests of
// util_atomic_writers never ended).
std::optional<std::string> read_file_shared(const std::filesystem::path& path);

} // namespace tabagent::util
