#include "core/util/fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tabagent::util {

Error errno_error(int err, std::string what, const std::filesystem::path& path) {
    ErrorCode code = ErrorCode::internal;
    if (err == ENOSPC
#ifdef EDQUOT
        || err == EDQUOT
#endif
    )
        code = ErrorCode::disk_full;
    else if (err == ENOENT)
        code = ErrorCode::not_found;
    return Error{code, what + ": " + std::strerror(err), {{"path", path.string()}, {"errno", err}}};
}

Status fsync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return tl::unexpected(errno_error(errno, "cannot open directory", dir));
    if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP)
        return tl::unexpected(errno_error(errno, "fsync directory", dir));
    return {};
}

void UniqueFd::reset(int fd) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = fd;
}

Result<UniqueFd> UniqueFd::open_read(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tl::unexpected(errno_error(errno, "cannot open", path));
    return UniqueFd(fd);
}

Result<UniqueFd> UniqueFd::open_write(const std::filesystem::path& path, int mode) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0) return tl::unexpected(errno_error(errno, "cannot open for writing", path));
    return UniqueFd(fd);
}

Result<std::uint64_t> UniqueFd::size() const {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) return tl::unexpected(errno_error(errno, "fstat", {}));
    return static_cast<std::uint64_t>(st.st_size);
}

Result<std::size_t> UniqueFd::pread_some(std::span<std::byte> buffer, std::uint64_t offset) const {
    while (true) {
        ssize_t n = ::pread(m_fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) return tl::unexpected(errno_error(errno, "read", {}));
    }
}

Status UniqueFd::pwrite_all(const void* data, std::size_t size, std::uint64_t offset) const {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(m_fd, p, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return tl::unexpected(errno_error(errno, "write", {}));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return {};
}

Status UniqueFd::sync() const {
    if (::fsync(m_fd) != 0) return tl::unexpected(errno_error(errno, "fsync", {}));
    return {};
}

Result<FileLock> FileLock::try_lock(const std::filesystem::path& lock_path) {
    std::error_code ec;
    std::filesystem::create_directories(lock_path.parent_path(), ec);
    // Report why the folder is missing (EROFS, EACCES, ENOSPC), not the ENOENT that follows,
    // which would read as NOT_FOUND: "the file is not on the Hub".
    if (ec) return tl::unexpected(errno_error(ec.value(), "cannot create the lock folder", lock_path.parent_path()));
    auto fd = UniqueFd::open_write(lock_path, 0644);
    if (!fd) return tl::unexpected(fd.error());
    FileLock lock;
    if (::flock(fd->get(), LOCK_EX | LOCK_NB) == 0) lock.m_fd = std::move(*fd);
    else if (errno != EWOULDBLOCK)
        return tl::unexpected(errno_error(errno, "flock", lock_path));
    return lock;
}

Result<bool> FileLock::held_elsewhere(const std::filesystem::path& lock_path) {
    // O_RDONLY is enough for flock(2), and no O_CREAT: probing must not create the file.
    UniqueFd fd(::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) return false;
        return tl::unexpected(errno_error(errno, "cannot open lock file", lock_path));
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
        ::flock(fd.get(), LOCK_UN);
        return false;
    }
    if (errno == EWOULDBLOCK) return true;
    return tl::unexpected(errno_error(errno, "flock", lock_path));
}

Result<bool> create_new_file(const std::filesystem::path& path, std::string_view content) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) {
        if (errno == EEXIST) return false;
        return tl::unexpected(errno_error(errno, "cannot create", path));
    }
    if (auto st = fd.pwrite_all(content.data(), content.size(), 0); !st) {
        ::unlink(path.c_str()); // a torn file would pass for a complete one next time
        return tl::unexpected(st.error());
    }
    return true;
}

void FileLock::unlock() {
    if (m_fd) {
        ::flock(m_fd.get(), LOCK_UN);
        m_fd.reset();
    }
}

} // namespace tabagent::util
