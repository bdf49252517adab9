#pragma once
// Owning file descriptor and advisory lock. POSIX only (Linux, macOS).
#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace tabagent::util {

// Maps errno to a protocol error: ENOSPC/EDQUOT -> DISK_FULL, ENOENT -> NOT_FOUND,
// EACCES/EROFS -> INTERNAL with the OS text, others INTERNAL.
Error errno_error(int err, std::string what, const std::filesystem::path& path);

// fsync a folder so a rename or symlink inside it survives a power cut. Filesystems that refuse
// fsync on a folder (EINVAL, ENOTSUP: some FUSE, macOS) are not an error: the rename is atomic.
Status fsync_directory(const std::filesystem::path& dir);

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& o) noexcept : m_fd(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    static Result<UniqueFd> open_read(const std::filesystem::path& path);
    // O_RDWR|O_CREAT, mode 0644 unless given; never truncates.
    static Result<UniqueFd> open_write(const std::filesystem::path& path, int mode = 0644);

    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }
    int release() {
        int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    void reset(int fd = -1);

    Result<std::uint64_t> size() const;
    // One pread; returns bytes read (0 at EOF). Retries EINTR.
    Result<std::size_t> pread_some(std::span<std::byte> buffer, std::uint64_t offset) const;
    // Writes all bytes at offset (loops on short writes). ENOSPC -> DISK_FULL.
    Status pwrite_all(const void* data, std::size_t size, std::uint64_t offset) const;
    Status sync() const;

private:
    int m_fd = -1;
};

// Creates `path` with `content` only when nothing is there yet (O_EXCL): false when it already
// existed. No temp file, so nothing but the final name ever shows in the folder (the hub root,
// where other tools flag every unknown name).
Result<bool> create_new_file(const std::filesystem::path& path, std::string_view content);

// flock()-based lock on a lock file (the same files huggingface_hub's filelock uses).
class FileLock {
public:
    FileLock() = default;
    // Non-blocking attempt; returns an unlocked FileLock (operator bool false) when held elsewhere.
    static Result<FileLock> try_lock(const std::filesystem::path& lock_path);
    // Whether some open file description (another process, or another fd of ours) holds an
    // flock on `lock_path`, asked without creating the file: a missing file is "not held".
    // For lock files other tools own (llama.cpp, huggingface_hub), where a stray create would
    // leave our litter in their folders. INTERNAL when the file exists but cannot be probed.
    static Result<bool> held_elsewhere(const std::filesystem::path& lock_path);
    explicit operator bool() const { return static_cast<bool>(m_fd); }
    void unlock();
    ~FileLock() { unlock(); }
    FileLock(FileLock&&) noexcept = default;
    FileLock& operator=(FileLock&&) noexcept = default;

private:
    UniqueFd m_fd;
};

} // namespace tabagent::util
