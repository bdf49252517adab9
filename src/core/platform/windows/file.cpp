// Windows side of platform/file.hpp.
#include "core/platform/file.hpp"
#include "core/platform/fs.hpp"
#include "core/platform/writeback.hpp"

#include "core/platform/windows/win.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tabagent::platform {
namespace fs = std::filesystem;
namespace {

using win::k_share_all;

HANDLE handle_of(NativeFile file) { return reinterpret_cast<HANDLE>(file); }
NativeFile native_of(HANDLE h) { return reinterpret_cast<NativeFile>(h); }

ErrorCode code_of_win(DWORD code) {
    switch (code) {
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return ErrorCode::disk_full;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND: return ErrorCode::not_found;
    default: return ErrorCode::internal;
    }
}

Result<File> open_with(const fs::path& path, DWORD access, DWORD disposition, const char* what) {
    HANDLE h = ::CreateFileW(win::long_path(path).c_str(), access, k_share_all, nullptr, disposition,
                             FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) return tl::unexpected(os_error(win::last(), what, path));
    return File(native_of(h));
}

OVERLAPPED at(std::uint64_t offset) {
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(offset & 0xffffffffu);
    ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
    return ov;
}

} // namespace

Error os_error(std::error_code ec, std::string what, const fs::path& path) {
    ErrorCode code = ErrorCode::internal;
    std::string text;
    nlohmann::json details = nlohmann::json::object();
    if (ec.category() == std::system_category()) { // GetLastError(), or libstdc++'s Win32 errors
        const auto win = static_cast<DWORD>(ec.value());
        code = code_of_win(win);
        text = win::error_text(win);
        details["winerror"] = ec.value();
    } else {
        if (ec.value() == ENOSPC) code = ErrorCode::disk_full;
        else if (ec.value() == ENOENT) code = ErrorCode::not_found;
        text = std::strerror(ec.value());
        details["errno"] = ec.value();
    }
    if (!path.empty()) details["path"] = u8string(path);
    return Error{code, what.empty() ? text : what + ": " + text, std::move(details)};
}

std::error_code last_error() { return win::last(); }

std::uint64_t pid_for_temp_names() { return ::GetCurrentProcessId(); }

// A null HANDLE is as invalid as INVALID_HANDLE_VALUE (-1, k_closed): both make a closed File.
File::File(NativeFile handle) : m_handle(handle == 0 ? k_closed : handle) {}

void File::reset(NativeFile handle) {
    if (m_handle != k_closed) ::CloseHandle(handle_of(m_handle));
    m_handle = handle == 0 ? k_closed : handle;
}

Status File::close() {
    if (m_handle == k_closed) return {};
    if (!::CloseHandle(handle_of(release()))) return tl::unexpected(os_error(win::last(), "close", {}));
    return {};
}

Result<File> File::open_read(const fs::path& path) { return open_with(path, GENERIC_READ, OPEN_EXISTING, "cannot open"); }

Result<File> File::open_write(const fs::path& path, int) {
    return open_with(path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS, "cannot open for writing");
}

Result<std::optional<File>> File::create_new(const fs::path& path, int) {
    HANDLE h = ::CreateFileW(win::long_path(path).c_str(), GENERIC_READ | GENERIC_WRITE, k_share_all, nullptr,
                             CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h != INVALID_HANDLE_VALUE) return std::optional<File>(File(native_of(h)));
    const DWORD code = ::GetLastError();
    if (code == ERROR_FILE_EXISTS || code == ERROR_ALREADY_EXISTS) return std::optional<File>();
    return tl::unexpected(os_error(win::error(code), "cannot create", path));
}

Result<std::uint64_t> File::size() const {
    LARGE_INTEGER size{};
    if (!::GetFileSizeEx(handle_of(m_handle), &size)) return tl::unexpected(os_error(win::last(), "GetFileSizeEx", {}));
    return static_cast<std::uint64_t>(size.QuadPart);
}

Result<std::size_t> File::pread_some(std::span<std::byte> buffer, std::uint64_t offset) const {
    OVERLAPPED ov = at(offset);
    DWORD got = 0;
    const auto want = static_cast<DWORD>(std::min<std::size_t>(buffer.size(), 1u << 30));
    if (!::ReadFile(handle_of(m_handle), buffer.data(), want, &got, &ov)) {
        if (::GetLastError() == ERROR_HANDLE_EOF) return std::size_t{0};
        return tl::unexpected(os_error(win::last(), "read", {}));
    }
    return static_cast<std::size_t>(got);
}

Status File::pwrite_all(const void* data, std::size_t size, std::uint64_t offset) const {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        OVERLAPPED ov = at(offset);
        DWORD put = 0;
        const auto chunk = static_cast<DWORD>(std::min<std::size_t>(size, 1u << 30));
        if (!::WriteFile(handle_of(m_handle), p, chunk, &put, &ov)) return tl::unexpected(os_error(win::last(), "write", {}));
        if (put == 0) return fail(ErrorCode::internal, "write: no progress");
        p += put;
        size -= put;
        offset += put;
    }
    return {};
}

Status File::truncate(std::uint64_t size) const {
    FILE_END_OF_FILE_INFO info{};
    info.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
    if (!::SetFileInformationByHandle(handle_of(m_handle), FileEndOfFileInfo, &info, sizeof info))
        return tl::unexpected(os_error(win::last(), "cannot truncate", {}));
    return {};
}

Status File::sync() const {
    if (::FlushFileBuffers(handle_of(m_handle))) return {};
    // FlushFileBuffers needs write access; a file opened for reading (Store::publish flushes the
    // partial it opened so) is flushed through a second, writable handle on the same file.
    if (::GetLastError() == ERROR_ACCESS_DENIED) {
        win::Handle writable(::ReOpenFile(handle_of(m_handle), GENERIC_WRITE, k_share_all, 0));
        if (writable && ::FlushFileBuffers(writable.get())) return {};
    }
    return tl::unexpected(os_error(win::last(), "FlushFileBuffers", {}));
}

Status File::sync_data() const { return sync(); } // Windows has no data-only flush

Result<File> File::duplicate() const {
    HANDLE copy = nullptr;
    if (!::DuplicateHandle(::GetCurrentProcess(), handle_of(m_handle), ::GetCurrentProcess(), &copy, 0, FALSE,
                           DUPLICATE_SAME_ACCESS))
        return tl::unexpected(os_error(win::last(), "DuplicateHandle", {}));
    return File(native_of(copy));
}

// The cache manager's lazy writer already writes dirty pages back within seconds; FlushFileBuffers
// would wait for the whole file, which is the final sync's job.
void File::start_writeback(std::uint64_t, std::uint64_t) const {}
bool writeback_works() { return false; }

// filelock's WindowsFileLock: one byte at offset 0, exclusive, fail at once (see file.hpp). Its
// handle shares read and write (not delete); ours shares all three, which its open tolerates.
namespace {
bool lock_byte0(HANDLE h) {
    OVERLAPPED ov = at(0);
    return ::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov) != 0;
}
void unlock_byte0(HANDLE h) {
    OVERLAPPED ov = at(0);
    ::UnlockFileEx(h, 0, 1, 0, &ov);
}
} // namespace

Result<FileLock> FileLock::try_lock(const fs::path& lock_path) {
    // Reports why the folder is missing (EROFS, EACCES, ENOSPC), not the ENOENT that would follow,
    // which would read as NOT_FOUND: "the file is not on the Hub".
    if (auto made = platform::create_directories(lock_path.parent_path()); !made) return tl::unexpected(made.error());
    HANDLE h = INVALID_HANDLE_VALUE;
    // ERROR_ACCESS_DENIED also means "delete pending": filelock unlinks its lock file on release, and
    // the name is unusable until every handle on it closes. A sharing violation is a peer that opened
    // it without sharing: both are a held lock for a moment, retried briefly.
    RetryBudget brief;
    brief.attempts = 5;
    const bool opened = win::with_retry(brief, [&] {
        h = ::CreateFileW(win::long_path(lock_path).c_str(), GENERIC_READ | GENERIC_WRITE, k_share_all, nullptr,
                          OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
        return h != INVALID_HANDLE_VALUE;
    });
    FileLock lock;
    if (!opened) {
        if (::GetLastError() == ERROR_SHARING_VIOLATION) return lock;
        return tl::unexpected(os_error(win::last(), "cannot open lock file", lock_path));
    }
    File file(native_of(h));
    if (lock_byte0(h)) lock.m_file = std::move(file);
    else if (::GetLastError() != ERROR_LOCK_VIOLATION && ::GetLastError() != ERROR_IO_PENDING)
        return tl::unexpected(os_error(win::last(), "LockFileEx", lock_path));
    return lock;
}

Result<bool> FileLock::held_elsewhere(const fs::path& lock_path) {
    // No OPEN_ALWAYS: probing must not create the file; the link itself, not a target.
    File file(native_of(::CreateFileW(win::long_path(lock_path).c_str(), GENERIC_READ, k_share_all, nullptr,
                                      OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr)));
    if (!file) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return false;
        if (code == ERROR_SHARING_VIOLATION) return true;
        return tl::unexpected(os_error(win::error(code), "cannot open lock file", lock_path));
    }
    if (lock_byte0(handle_of(file.get()))) {
        unlock_byte0(handle_of(file.get()));
        return false;
    }
    if (::GetLastError() == ERROR_LOCK_VIOLATION) return true;
    return tl::unexpected(os_error(win::last(), "LockFileEx", lock_path));
}

void FileLock::unlock() {
    if (m_file) {
        unlock_byte0(handle_of(m_file.get()));
        m_file.reset();
    }
}

} // namespace tabagent::platform
