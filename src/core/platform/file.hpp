#pragma once
// Open files, advisory lock files and OS errors (issue 14 item 2, platform/README.md). POSIX: an
// fd; Windows: a HANDLE opened through CreateFileW with the UTF-16 path (`\\?\` prefixed when
// absolute, so paths may exceed MAX_PATH) and FILE_SHARE_READ|WRITE|DELETE, so another process
// may read, rename or delete a file we hold open, as on POSIX.
#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace tabagent::platform {

// An fd on POSIX, a HANDLE on Windows (INVALID_HANDLE_VALUE is -1 there too); the same alias as
// platform/net.hpp's (a second identical alias is legal C++), so File::get() goes to send_file().
using NativeFile = std::intptr_t;

// An OS error as the protocol sees it: no space / quota -> DISK_FULL, no such file or folder ->
// NOT_FOUND, anything else INTERNAL. The message is "<what>: <OS text>" (the OS text alone when
// `what` is empty); details carry the path and the OS number ("errno" or "winerror").
Error os_error(std::error_code ec, std::string what, const std::filesystem::path& path);
// The calling thread's last OS error (errno, or GetLastError() mapped to an errno where one exists).
std::error_code last_error();

// A number that tells this process's temp files apart from other processes' (the pid).
std::uint64_t pid_for_temp_names();

class File {
public:
    File() = default;
    // Takes ownership; an invalid handle (-1 / INVALID_HANDLE_VALUE, or a null HANDLE) makes a closed File.
    explicit File(NativeFile handle);
    ~File() { reset(); }
    File(File&& o) noexcept : m_handle(o.release()) {}
    File& operator=(File&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    static Result<File> open_read(const std::filesystem::path& path);
    // Read-write, created when missing (with `mode` on POSIX; Windows files inherit their folder's
    // ACL), never truncated.
    static Result<File> open_write(const std::filesystem::path& path, int mode = 0644);
    // Write-only and only when nothing is at `path` yet (O_EXCL / CREATE_NEW): nullopt when
    // something already is. The name is the caller's alone, no other writer shares it.
    static Result<std::optional<File>> create_new(const std::filesystem::path& path, int mode = 0644);

    NativeFile get() const { return m_handle; }
    static constexpr NativeFile k_closed = -1;
    explicit operator bool() const { return m_handle != k_closed; }
    NativeFile release() {
        NativeFile h = m_handle;
        m_handle = k_closed;
        return h;
    }
    void reset(NativeFile handle = k_closed);
    // Closes and reports what the close says (a network filesystem may report a failed write only
    // there). The file is closed whatever the result.
    Status close();

    Result<std::uint64_t> size() const;
    // One positioned read; bytes read, 0 at the end. Retries EINTR.
    Result<std::size_t> pread_some(std::span<std::byte> buffer, std::uint64_t offset) const;
    // Writes all bytes at offset (loops on short writes). No space -> DISK_FULL.
    Status pwrite_all(const void* data, std::size_t size, std::uint64_t offset) const;
    Status truncate(std::uint64_t size) const;
    // Data and metadata to the disk (fsync / FlushFileBuffers).
    Status sync() const;
    // Data, and the metadata needed to read it back (fdatasync; fsync where there is none).
    Status sync_data() const;
    // A second handle on the same open file (its own lifetime, same position-free I/O).
    Result<File> duplicate() const;
    // Asks the OS to start writing [offset, offset + length) back to the disk now, without waiting
    // (Linux: sync_file_range(SYNC_FILE_RANGE_WRITE)). A hint: elsewhere it does nothing (macOS has
    // no such call; Windows' lazy writer already flushes dirty pages within seconds).
    void start_writeback(std::uint64_t offset, std::uint64_t length) const;

private:
    NativeFile m_handle = k_closed;
};

// The lock files huggingface_hub's `filelock` takes, so both tools exclude each other. POSIX:
// flock(LOCK_EX|LOCK_NB) on the whole file (filelock's UnixFileLock). Windows: LockFileEx
// (LOCKFILE_EXCLUSIVE_LOCK|LOCKFILE_FAIL_IMMEDIATELY) of the one byte at offset 0, the range
// filelock's WindowsFileLock locks (msvcrt.locking(fd, LK_NBLCK, 1) on a fresh fd in its older
// releases, LockFileEx(..., 0, 1, 0, overlapped{0}) in its newer ones: src/filelock/_windows.py).
// The lock dies with its handle, and so with its process.
class FileLock {
public:
    FileLock() = default;
    // Creates the folder and the file when missing; one non-blocking attempt. An unlocked FileLock
    // (operator bool false) when another handle holds it.
    static Result<FileLock> try_lock(const std::filesystem::path& lock_path);
    // Whether some other open handle holds the lock, asked without creating the file (a missing
    // file is "not held"): for lock files other tools own. INTERNAL when it cannot be probed.
    static Result<bool> held_elsewhere(const std::filesystem::path& lock_path);
    explicit operator bool() const { return static_cast<bool>(m_file); }
    void unlock();
    ~FileLock() { unlock(); }
    FileLock(FileLock&&) noexcept = default;
    FileLock& operator=(FileLock&& o) noexcept {
        if (this != &o) {
            unlock();
            m_file = std::move(o.m_file);
        }
        return *this;
    }

private:
    File m_file;
};

} // namespace tabagent::platform
