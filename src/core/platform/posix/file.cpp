// POSIX side of platform/file.hpp (Linux, macOS).
#include "core/platform/file.hpp"
#include "core/platform/fs.hpp"
#include "core/platform/writeback.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tabagent::platform {

Error os_error(std::error_code ec, std::string what, const std::filesystem::path& path) {
    ErrorCode code = ErrorCode::internal;
    const int value = ec.value();
    const bool generic = ec.category() == std::generic_category() || ec.category() == std::system_category();
    if (generic && (value == ENOSPC
#ifdef EDQUOT
                    || value == EDQUOT
#endif
                    ))
        code = ErrorCode::disk_full;
    else if (generic && value == ENOENT)
        code = ErrorCode::not_found;
    const std::string text = generic ? std::strerror(value) : ec.message();
    nlohmann::json details = {{"errno", value}};
    if (!path.empty()) details["path"] = path.string();
    return Error{code, what.empty() ? text : what + ": " + text, std::move(details)};
}

std::error_code last_error() { return {errno, std::generic_category()}; }

namespace {
// The fd inside a NativeFile (which is wide enough for a Windows HANDLE).
int fd_of(NativeFile handle) { return static_cast<int>(handle); }
} // namespace

std::uint64_t pid_for_temp_names() { return static_cast<std::uint64_t>(::getpid()); }

File::File(NativeFile handle) : m_handle(handle < 0 ? k_closed : handle) {}

void File::reset(NativeFile handle) {
    if (m_handle >= 0) ::close(static_cast<int>(m_handle));
    m_handle = handle < 0 ? k_closed : handle;
}

Status File::close() {
    if (m_handle < 0) return {};
    const auto fd = static_cast<int>(release());
    // EINTR: the fd is gone all the same (Linux, and POSIX.1-2024 for the interrupted close).
    if (::close(fd) != 0 && errno != EINTR) return tl::unexpected(os_error(last_error(), "close", {}));
    return {};
}

Result<File> File::open_read(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tl::unexpected(os_error(last_error(), "cannot open", path));
    return File(fd);
}

Result<File> File::open_write(const std::filesystem::path& path, int mode) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0) return tl::unexpected(os_error(last_error(), "cannot open for writing", path));
    return File(fd);
}

Result<std::optional<File>> File::create_new(const std::filesystem::path& path, int mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) return std::optional<File>(File(fd));
    if (errno == EEXIST) return std::optional<File>();
    return tl::unexpected(os_error(last_error(), "cannot create", path));
}

Result<std::uint64_t> File::size() const {
    struct stat st {};
    if (::fstat(fd_of(m_handle), &st) != 0) return tl::unexpected(os_error(last_error(), "fstat", {}));
    return static_cast<std::uint64_t>(st.st_size);
}

Result<std::size_t> File::pread_some(std::span<std::byte> buffer, std::uint64_t offset) const {
    while (true) {
        ssize_t n = ::pread(fd_of(m_handle), buffer.data(), buffer.size(), static_cast<off_t>(offset));
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) return tl::unexpected(os_error(last_error(), "read", {}));
    }
}

Status File::pwrite_all(const void* data, std::size_t size, std::uint64_t offset) const {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(fd_of(m_handle), p, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return tl::unexpected(os_error(last_error(), "write", {}));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return {};
}

Status File::truncate(std::uint64_t size) const {
    if (::ftruncate(fd_of(m_handle), static_cast<off_t>(size)) != 0)
        return tl::unexpected(os_error(last_error(), "cannot truncate", {}));
    return {};
}

Status File::sync() const {
    if (::fsync(fd_of(m_handle)) != 0) return tl::unexpected(os_error(last_error(), "fsync", {}));
    return {};
}

Status File::sync_data() const {
#if defined(__linux__) && !defined(TABAGENT_POSIX_FALLBACKS)
    const int rc = ::fdatasync(fd_of(m_handle));
#else
    // macOS declares fdatasync only in recent SDKs; fsync is everywhere (and on macOS neither
    // reaches the platter, F_FULLFSYNC would: not needed for "old or new, never empty").
    const int rc = ::fsync(fd_of(m_handle));
#endif
    if (rc != 0) return tl::unexpected(os_error(last_error(), "cannot sync", {}));
    return {};
}

Result<File> File::duplicate() const {
    int fd = ::fcntl(fd_of(m_handle), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return tl::unexpected(os_error(last_error(), "dup", {}));
    return File(fd);
}

bool writeback_works() {
#if defined(__linux__) && !defined(TABAGENT_POSIX_FALLBACKS)
    return true;
#else
    return false;
#endif
}

void File::start_writeback(std::uint64_t offset, std::uint64_t length) const {
#if defined(__linux__) && !defined(TABAGENT_POSIX_FALLBACKS)
    // Only queues the I/O (no wait for it): the final fsync finds little left to do.
    ::sync_file_range(fd_of(m_handle), static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
#else
    (void)offset;
    (void)length; // a hint only; the fsync before publishing does the work
#endif
}

Result<FileLock> FileLock::try_lock(const std::filesystem::path& lock_path) {
    // Reports why the folder is missing (EROFS, EACCES, ENOSPC), not the ENOENT that would follow,
    // which would read as NOT_FOUND: "the file is not on the Hub".
    if (auto made = platform::create_directories(lock_path.parent_path()); !made) return tl::unexpected(made.error());
    auto file = File::open_write(lock_path, 0644);
    if (!file) return tl::unexpected(file.error());
    FileLock lock;
    if (::flock(fd_of(file->get()), LOCK_EX | LOCK_NB) == 0) lock.m_file = std::move(*file);
    else if (errno != EWOULDBLOCK)
        return tl::unexpected(os_error(last_error(), "flock", lock_path));
    return lock;
}

Result<bool> FileLock::held_elsewhere(const std::filesystem::path& lock_path) {
    // O_RDONLY is enough for flock(2), and no O_CREAT: probing must not create the file.
    File file(::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) {
        if (errno == ENOENT || errno == ENOTDIR) return false;
        return tl::unexpected(os_error(last_error(), "cannot open lock file", lock_path));
    }
    if (::flock(fd_of(file.get()), LOCK_EX | LOCK_NB) == 0) {
        ::flock(fd_of(file.get()), LOCK_UN);
        return false;
    }
    if (errno == EWOULDBLOCK) return true;
    return tl::unexpected(os_error(last_error(), "flock", lock_path));
}

void FileLock::unlock() {
    if (m_file) {
        ::flock(fd_of(m_file.get()), LOCK_UN);
        m_file.reset();
    }
}

} // namespace tabagent::platform
