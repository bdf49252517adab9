#pragma once
// Helpers shared by the Windows side of the seam (not a seam interface: only platform/windows/
// includes this).
#include "core/platform/windows/windows_h.hpp"

#include "core/error.hpp"
#include "core/platform/fs.hpp"
#include "core/platform/windows/utf16.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace tabagent::platform::win {

// The form every Win32 call of the seam gets: absolute, '\'-separated, normalised (the `\\?\`
// form skips Win32's own normalisation) and `\\?\` prefixed (`\\?\UNC\server\share\...` for UNC),
// which lifts MAX_PATH (260) to the NT limit of ~32 767 characters without the process needing
// the longPathAware manifest and the LongPathsEnabled policy. Relative paths are made absolute
// first (GetFullPathNameW, through std::filesystem::absolute).
std::wstring long_path(const std::filesystem::path& path);

// Others may read, write, rename and delete what we hold open, as on POSIX (a reader of a blob
// must not stop a `delete` or a `clean`, nor a rename into place stop on our own handle).
constexpr DWORD k_share_all = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// GetLastError() as an error_code of std::system_category() (os_error() maps it).
inline std::error_code error(DWORD code) { return {static_cast<int>(code), std::system_category()}; }
inline std::error_code last() { return error(::GetLastError()); }

// Errors another process's open handle causes, gone once it closes (antivirus, indexer, a reader).
inline bool transient(DWORD code) {
    return code == ERROR_SHARING_VIOLATION || code == ERROR_ACCESS_DENIED || code == ERROR_LOCK_VIOLATION;
}

// Calls `attempt` (a BOOL-returning Win32 call) until it succeeds, fails with a non-transient
// error, or the budget is spent; waits between attempts as the budget says. The last error stays
// in GetLastError().
template <class Attempt> bool with_retry(const RetryBudget& retry, Attempt&& attempt) {
    auto wait = retry.first_wait;
    for (int i = 1;; ++i) {
        if (attempt()) return true;
        const DWORD code = ::GetLastError();
        if (!transient(code) || i >= retry.attempts) return false;
        if (retry.wait) retry.wait(wait);
        else ::Sleep(static_cast<DWORD>(wait.count()));
        ::SetLastError(code);
        wait = std::min(wait * 2, retry.max_wait);
    }
}

// A HANDLE closed on scope exit.
class Handle {
public:
    explicit Handle(HANDLE h) : m_h(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
    ~Handle() {
        if (m_h) ::CloseHandle(m_h);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    HANDLE get() const { return m_h; }
    explicit operator bool() const { return m_h != nullptr; }

private:
    HANDLE m_h;
};

TimePoint to_time_point(const FILETIME& ft);
FILETIME to_filetime(TimePoint t);

} // namespace tabagent::platform::win
