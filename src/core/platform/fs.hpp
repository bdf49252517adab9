#pragma once
// Names in folders: stat without following links, links, rename/replace, delete, disk free, and a
// directory reader for the cache scan (issue 14 item 2, platform/README.md). Paths are
// std::filesystem::path: UTF-8 `char` on POSIX, UTF-16 on Windows (path.native()), where the seam
// prefixes absolute paths with `\\?\` so they may exceed MAX_PATH (260).
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tabagent::platform {

using TimePoint = std::chrono::system_clock::time_point;

// UTF-8 text <-> path. std::filesystem::path(std::string) reads `char` text in the platform's narrow
// encoding: UTF-8 on POSIX, but byte by byte on Windows (libstdc++/mingw: "café" would become the
// name "cafÃ©"), and path::string() cannot spell names outside Latin-1 there. These go through
// char8_t, UTF-8 on every platform (C++20), for repo file names and for paths shown to users.
inline std::filesystem::path u8path(std::string_view utf8) {
    return std::filesystem::path(std::u8string(utf8.begin(), utf8.end()));
}
inline std::string u8string(const std::filesystem::path& path) {
    const auto text = path.u8string();
    return std::string(text.begin(), text.end());
}
// A path as clients and users are told it (protocol replies, `--json`, CLI lines, logs): UTF-8, with
// one separator, the platform's preferred one. On Windows a repo file joined onto the cache root
// keeps its '/' ("Z:\c\snapshots\<commit>\onnx/model.onnx"); make_preferred turns every '/' into
// '\'. On POSIX it changes nothing ('\' is a name character there).
inline std::string reported_path(std::filesystem::path path) {
    path.make_preferred();
    return u8string(path);
}

enum class Kind { regular, directory, symlink, other };

struct FileInfo {
    Kind kind = Kind::other;
    std::uint64_t size = 0;
    TimePoint atime{};
    TimePoint mtime{};
};

// lstat: a link is reported as a link (Windows: a symlink or junction reparse point). nullopt when
// the path does not exist or cannot be asked; `ec` (optional) says why.
std::optional<FileInfo> lstat(const std::filesystem::path& path, std::error_code* ec = nullptr);
// stat: follows links.
std::optional<FileInfo> stat(const std::filesystem::path& path);
// Sets both times of `path` itself (a link is not followed).
Status set_file_times(const std::filesystem::path& path, TimePoint atime, TimePoint mtime);

// How hard a rename or delete tries while another process holds the file open. Windows refuses
// both on a file opened without FILE_SHARE_DELETE (ERROR_SHARING_VIOLATION), and antivirus or the
// search indexer open new files so for seconds; ERROR_ACCESS_DENIED (also a name pending delete)
// and ERROR_LOCK_VIOLATION are retried too. POSIX never waits (rename and unlink ignore opens).
struct RetryBudget {
    int attempts = 12;                          // first try included
    std::chrono::milliseconds first_wait{25};   // doubles after every failed attempt ...
    std::chrono::milliseconds max_wait{2000};   // ... up to this: ~10 s in all
    // Waits between attempts; the default sleeps. Tests count the calls instead of waiting.
    std::function<void(std::chrono::milliseconds)> wait;
};
inline const RetryBudget k_default_retry{};

// mkdir -p: creates `path` and its missing parents (Windows: CreateDirectoryW on the `\\?\` form, so
// beyond MAX_PATH too). An existing folder is success; errors are os_error()s naming the folder.
Status create_directories(const std::filesystem::path& path);

// rename(2) / MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH): `to` is replaced
// atomically when it exists (a file, or on POSIX an empty folder).
Status rename_replace(const std::filesystem::path& from, const std::filesystem::path& to,
                      const RetryBudget& retry = k_default_retry);
// unlink(2) / DeleteFileW (RemoveDirectoryW for a directory link): removes a file or a link,
// never a link's target. False when nothing was there.
Result<bool> remove_file(const std::filesystem::path& path, const RetryBudget& retry = k_default_retry);
// rmdir(2) / RemoveDirectoryW of an empty folder. False when it was not empty or not there.
bool remove_empty_dir(const std::filesystem::path& path);

// What create_symlink could do.
enum class LinkResult {
    created,
    unsupported, // the OS or the filesystem refuses links to this user: Windows without Developer
                 // Mode or admin (ERROR_PRIVILEGE_NOT_HELD), FAT/exFAT (EPERM), and so on
};
// A symbolic link at `link` holding `target` as written (relative targets stay relative, as
// huggingface_hub writes them). Windows: CreateSymbolicLinkW with
// SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE (honoured in Developer Mode), '/' written as '\'.
Result<LinkResult> create_symlink(const std::filesystem::path& target, const std::filesystem::path& link);
// The text of the link at `path` ('/'-separated on every platform). nullopt when not a link.
std::optional<std::string> read_symlink(const std::filesystem::path& path);
// Whether links can be created in `dir` (an existing folder): creates and removes a probe link
// named ".tabagent-tmp-probe-<pid>-<n>" (huggingface_hub's are_symlinks_supported does the same).
// nullopt when the folder cannot be written at all.
std::optional<bool> symlinks_supported(const std::filesystem::path& dir);
// The absolute path with every link resolved (realpath / GetFinalPathNameByHandleW). libstdc++'s
// std::filesystem::canonical does not resolve links on Windows.
Result<std::filesystem::path> canonical(const std::filesystem::path& path);
// Copies the content of `from` to a new file `to` (fails when `to` exists).
Status copy_file(const std::filesystem::path& from, const std::filesystem::path& to);

// Bytes available to this user on the filesystem holding `path` (statvfs f_bavail * f_frsize /
// GetDiskFreeSpaceExW). The path must exist.
Result<std::uint64_t> disk_free(const std::filesystem::path& path);

// fsync of a folder, so a rename or link inside it survives a power cut. POSIX filesystems that
// refuse it (EINVAL, ENOTSUP: some FUSE, macOS) are not an error. Windows: nothing to do, NTFS
// journals its metadata (a rename is logged before MoveFileExW returns, and MOVEFILE_WRITE_THROUGH
// waits for it) and a folder cannot be opened for FlushFileBuffers without admin rights.
Status fsync_directory(const std::filesystem::path& dir);

struct DirEntry {
    std::string name; // UTF-8
    Kind kind = Kind::other;
};

// An open folder for the cache scan: children are named relative to it, so a walk of 20 000
// entries never re-walks long paths (POSIX: openat/fstatat/readlinkat on a directory fd; Windows:
// the folder's path, FindFirstFileExW with FIND_FIRST_EX_LARGE_FETCH, reparse points read as
// links). Errors are os_error()s with an empty `what`: the message is the OS text.
class Directory {
public:
    Directory() = default;
    ~Directory();
    Directory(Directory&& o) noexcept;
    Directory& operator=(Directory&& o) noexcept;
    Directory(const Directory&) = delete;
    Directory& operator=(const Directory&) = delete;

    // Opens a folder; a link at `path` itself is followed (a repo folder moved to another disk).
    static Result<Directory> open(const std::filesystem::path& path);
    // Opens the sub-folder `name`; a link there is not followed (an error).
    Result<Directory> open_child(std::string_view name) const;
    // Every entry but "." and "..", with its kind (from the listing, lstat where it says nothing).
    Status list(std::vector<DirEntry>& out) const;
    std::optional<FileInfo> lstat_child(std::string_view name) const;
    std::optional<std::string> read_link_child(std::string_view name) const;
    // Up to `max` bytes of the regular file `name` (a link is not followed).
    std::optional<std::string> read_child(std::string_view name, std::size_t max) const;
    explicit operator bool() const { return m_fd >= 0 || !m_path.empty(); }

private:
    int m_fd = -1;                 // POSIX
    std::filesystem::path m_path;  // Windows (the `\\?\` form)
};

} // namespace tabagent::platform
