// Windows side of platform/fs.hpp.
#include "core/platform/fs.hpp"

#include "core/platform/file.hpp"
#include "core/platform/windows/win.hpp"

#include <winioctl.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#ifndef SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
#define SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE 0x2
#endif

namespace tabagent::platform {
namespace fs = std::filesystem;
namespace {

using win::k_share_all;

bool is_link_tag(DWORD tag) { return tag == IO_REPARSE_TAG_SYMLINK || tag == IO_REPARSE_TAG_MOUNT_POINT; }

FileInfo info_of(DWORD attributes, DWORD size_high, DWORD size_low, const FILETIME& atime, const FILETIME& mtime) {
    FileInfo out;
    out.kind = (attributes & FILE_ATTRIBUTE_DIRECTORY) ? Kind::directory : Kind::regular;
    if (attributes & FILE_ATTRIBUTE_DEVICE) out.kind = Kind::other;
    out.size = (static_cast<std::uint64_t>(size_high) << 32) | size_low;
    out.atime = win::to_time_point(atime);
    out.mtime = win::to_time_point(mtime);
    return out;
}

// The reparse tag of `wide` (a reparse point): FindFirstFileW reports it in dwReserved0.
DWORD reparse_tag(const std::wstring& wide) {
    WIN32_FIND_DATAW data{};
    HANDLE find = ::FindFirstFileExW(wide.c_str(), FindExInfoBasic, &data, FindExSearchNameMatch, nullptr, 0);
    if (find == INVALID_HANDLE_VALUE) return 0;
    ::FindClose(find);
    return data.dwReserved0;
}

// The layout of REPARSE_DATA_BUFFER (ntifs.h, not in mingw's user-mode headers) for the two link tags.
struct ReparseHeader {
    DWORD tag;
    WORD data_length;
    WORD reserved;
    WORD substitute_offset, substitute_length, print_offset, print_length;
};

std::optional<std::wstring> link_text(const std::wstring& wide) {
    win::Handle h(::CreateFileW(wide.c_str(), FILE_READ_ATTRIBUTES, k_share_all, nullptr, OPEN_EXISTING,
                                FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!h) return std::nullopt;
    std::vector<char> buffer(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
    DWORD got = 0;
    if (!::DeviceIoControl(h.get(), FSCTL_GET_REPARSE_POINT, nullptr, 0, buffer.data(),
                           static_cast<DWORD>(buffer.size()), &got, nullptr) ||
        got < sizeof(ReparseHeader))
        return std::nullopt;
    ReparseHeader head{};
    std::memcpy(&head, buffer.data(), sizeof head);
    std::size_t names = sizeof head; // a junction's names follow the header ...
    if (head.tag == IO_REPARSE_TAG_SYMLINK) names += sizeof(ULONG); // ... a symlink's follow its Flags
    else if (head.tag != IO_REPARSE_TAG_MOUNT_POINT) return std::nullopt;
    auto name = [&](WORD offset, WORD length) -> std::optional<std::wstring> {
        if (names + offset + length > got) return std::nullopt;
        std::wstring text(length / sizeof(wchar_t), L'\0');
        std::memcpy(text.data(), buffer.data() + names + offset, length);
        return text;
    };
    auto print = name(head.print_offset, head.print_length);
    if (print && !print->empty()) return print;
    auto substitute = name(head.substitute_offset, head.substitute_length);
    if (substitute && substitute->rfind(L"\\??\\", 0) == 0) substitute->erase(0, 4);
    return substitute;
}

} // namespace

std::optional<FileInfo> lstat(const fs::path& path, std::error_code* ec) {
    const auto wide = win::long_path(path);
    WIN32_FILE_ATTRIBUTE_DATA data{};
    // GetFileAttributesExW describes a link itself, never its target.
    if (!::GetFileAttributesExW(wide.c_str(), GetFileExInfoStandard, &data)) {
        if (ec) *ec = win::last();
        return std::nullopt;
    }
    auto out = info_of(data.dwFileAttributes, data.nFileSizeHigh, data.nFileSizeLow, data.ftLastAccessTime,
                       data.ftLastWriteTime);
    if ((data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) && is_link_tag(reparse_tag(wide)))
        out.kind = Kind::symlink;
    return out;
}

std::optional<FileInfo> stat(const fs::path& path) {
    win::Handle h(::CreateFileW(win::long_path(path).c_str(), FILE_READ_ATTRIBUTES, k_share_all, nullptr,
                                OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    BY_HANDLE_FILE_INFORMATION data{};
    if (!h || !::GetFileInformationByHandle(h.get(), &data)) return std::nullopt;
    return info_of(data.dwFileAttributes, data.nFileSizeHigh, data.nFileSizeLow, data.ftLastAccessTime,
                   data.ftLastWriteTime);
}

Status set_file_times(const fs::path& path, TimePoint atime, TimePoint mtime) {
    win::Handle h(::CreateFileW(win::long_path(path).c_str(), FILE_WRITE_ATTRIBUTES, k_share_all, nullptr,
                                OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    const FILETIME a = win::to_filetime(atime), m = win::to_filetime(mtime);
    if (!h || !::SetFileTime(h.get(), nullptr, &a, &m))
        return tl::unexpected(os_error(win::last(), "cannot set the times of", path));
    return {};
}

Status create_directories(const fs::path& path) {
    const auto wide = win::long_path(path);
    // Every prefix after the `\\?\C:\` or `\\?\UNC\server\share\` root, shortest first.
    std::size_t start = wide.rfind(L"\\\\?\\UNC\\", 0) == 0 ? wide.find(L'\\', wide.find(L'\\', 8) + 1) : 7;
    if (start == std::wstring::npos || start > wide.size()) start = wide.size();
    for (std::size_t i = start; i <= wide.size(); ++i) {
        if (i != wide.size() && wide[i] != L'\\') continue;
        const auto prefix = wide.substr(0, i);
        if (prefix.size() <= 7) continue;
        if (::CreateDirectoryW(prefix.c_str(), nullptr)) continue;
        const DWORD code = ::GetLastError();
        if (code == ERROR_ALREADY_EXISTS) {
            const DWORD attributes = ::GetFileAttributesW(prefix.c_str());
            if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY)) continue;
        } else if (code == ERROR_ACCESS_DENIED && i < wide.size()) {
            continue; // a parent we may not create but may enter (a drive root, a share)
        }
        return tl::unexpected(os_error(win::error(code), "cannot create folder", path));
    }
    return {};
}

namespace {

// SetFileInformationByHandle(FileRenameInfoEx, REPLACE_IF_EXISTS | POSIX_SEMANTICS) (Windows 10 1607+,
// NTFS): the target is replaced even while a reader holds it open with FILE_SHARE_DELETE, as
// rename(2) does; MoveFileExW refuses that (ERROR_ACCESS_DENIED) until the reader closes. False with
// ERROR_INVALID_PARAMETER / ERROR_NOT_SUPPORTED where the OS or filesystem lacks it (Wine 8, FAT).
bool rename_posix(const std::wstring& from, const std::wstring& to) {
    constexpr auto k_file_rename_info_ex = static_cast<FILE_INFO_BY_HANDLE_CLASS>(22); // FileRenameInfoEx
    constexpr DWORD k_replace_if_exists = 0x1, k_posix_semantics = 0x2;
    win::Handle h(::CreateFileW(from.c_str(), DELETE | SYNCHRONIZE, k_share_all, nullptr, OPEN_EXISTING,
                                FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!h) return false;
    const std::size_t name_bytes = to.size() * sizeof(wchar_t);
    std::vector<char> buffer(sizeof(FILE_RENAME_INFO) + name_bytes);
    auto* info = reinterpret_cast<FILE_RENAME_INFO*>(buffer.data());
    info->Flags = k_replace_if_exists | k_posix_semantics;
    info->RootDirectory = nullptr;
    info->FileNameLength = static_cast<DWORD>(name_bytes);
    std::memcpy(info->FileName, to.data(), name_bytes);
    if (!::SetFileInformationByHandle(h.get(), k_file_rename_info_ex, info, static_cast<DWORD>(buffer.size())))
        return false;
    // The rename's durability: MOVEFILE_WRITE_THROUGH's counterpart is a flush of the file's volume
    // metadata, which NTFS logs before SetFileInformationByHandle returns.
    return true;
}

bool unsupported(DWORD code) { return code == ERROR_INVALID_PARAMETER || code == ERROR_NOT_SUPPORTED; }

} // namespace

Status rename_replace(const fs::path& from, const fs::path& to, const RetryBudget& retry) {
    const auto wide_from = win::long_path(from), wide_to = win::long_path(to);
    bool posix = true;
    const bool renamed = win::with_retry(retry, [&] {
        if (posix) {
            if (rename_posix(wide_from, wide_to)) return true;
            if (!unsupported(::GetLastError())) return false;
            posix = false;
        }
        // WRITE_THROUGH: returns once the rename is on the disk (what the POSIX side's folder fsync gives).
        return ::MoveFileExW(wide_from.c_str(), wide_to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) != 0;
    });
    if (!renamed) return tl::unexpected(os_error(win::last(), "cannot rename " + u8string(from) + " to", to));
    return {};
}

Result<bool> remove_file(const fs::path& path, const RetryBudget& retry) {
    const auto wide = win::long_path(path);
    const DWORD attributes = ::GetFileAttributesW(wide.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return false;
    }
    // A directory link (symlink or junction) is removed with RemoveDirectoryW, its target untouched.
    const bool dir_link = attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) &&
                          (attributes & FILE_ATTRIBUTE_REPARSE_POINT);
    if (win::with_retry(retry, [&] {
            return (dir_link ? ::RemoveDirectoryW(wide.c_str()) : ::DeleteFileW(wide.c_str())) != 0;
        }))
        return true;
    const DWORD code = ::GetLastError();
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return false;
    return tl::unexpected(os_error(win::error(code), "cannot remove", path));
}

bool remove_empty_dir(const fs::path& path) { return ::RemoveDirectoryW(win::long_path(path).c_str()) != 0; }

Result<LinkResult> create_symlink(const fs::path& target, const fs::path& link) {
    const auto wide_link = win::long_path(link);
    // The link text as written, with Windows separators: a relative target with '/' resolves nowhere.
    auto text = target;
    text.make_preferred();
    std::error_code ec;
    const auto resolved = target.is_absolute() ? target : link.parent_path() / target;
    DWORD flags = SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE;
    if (fs::is_directory(resolved, ec)) flags |= SYMBOLIC_LINK_FLAG_DIRECTORY;
    BOOLEAN made = ::CreateSymbolicLinkW(wide_link.c_str(), text.c_str(), flags);
    // Windows 10 before 1703 refuses the unprivileged flag itself.
    if (!made && ::GetLastError() == ERROR_INVALID_PARAMETER)
        made = ::CreateSymbolicLinkW(wide_link.c_str(), text.c_str(), flags & ~SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE);
    if (!made) {
        const DWORD code = ::GetLastError();
        // No Developer Mode and no admin; a filesystem without reparse points (FAT, exFAT, some shares).
        if (code == ERROR_PRIVILEGE_NOT_HELD || code == ERROR_NOT_SUPPORTED || code == ERROR_INVALID_FUNCTION)
            return LinkResult::unsupported;
        return tl::unexpected(os_error(win::error(code), "cannot create link", link));
    }
    // Wine's CreateSymbolicLinkW (8.0) is a stub that answers TRUE and makes nothing: only a link
    // that is there counts.
    auto st = platform::lstat(link);
    if (!st || st->kind != Kind::symlink) {
        if (st) (void)platform::remove_file(link);
        return LinkResult::unsupported;
    }
    return LinkResult::created;
}

std::optional<std::string> read_symlink(const fs::path& path) {
    auto text = link_text(win::long_path(path));
    if (!text) return std::nullopt;
    auto utf8 = win::to_utf8(*text);
    std::replace(utf8.begin(), utf8.end(), '\\', '/');
    return utf8;
}

Result<fs::path> canonical(const fs::path& path) {
    win::Handle h(::CreateFileW(win::long_path(path).c_str(), FILE_READ_ATTRIBUTES, k_share_all, nullptr,
                                OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!h) return tl::unexpected(os_error(win::last(), "cannot resolve", path));
    std::wstring buffer(MAX_PATH, L'\0');
    for (int i = 0; i < 2; ++i) {
        DWORD n = ::GetFinalPathNameByHandleW(h.get(), buffer.data(), static_cast<DWORD>(buffer.size()),
                                              FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
        if (n == 0) return tl::unexpected(os_error(win::last(), "cannot resolve", path));
        if (n < buffer.size()) {
            buffer.resize(n);
            if (buffer.rfind(L"\\\\?\\UNC\\", 0) == 0) buffer = L"\\\\" + buffer.substr(8);
            else if (buffer.rfind(L"\\\\?\\", 0) == 0) buffer.erase(0, 4);
            return fs::path(buffer);
        }
        buffer.assign(n, L'\0');
    }
    return fail(ErrorCode::internal, "cannot resolve " + u8string(path));
}

Status copy_file(const fs::path& from, const fs::path& to) {
    if (!::CopyFileW(win::long_path(from).c_str(), win::long_path(to).c_str(), TRUE))
        return tl::unexpected(os_error(win::last(), "cannot copy " + u8string(from) + " to", to));
    return {};
}

Result<std::uint64_t> disk_free(const fs::path& path) {
    auto wide = win::long_path(path);
    if (!wide.empty() && wide.back() != L'\\') wide += L'\\'; // "a directory, with a trailing backslash"
    ULARGE_INTEGER available{};
    if (!::GetDiskFreeSpaceExW(wide.c_str(), &available, nullptr, nullptr))
        return tl::unexpected(os_error(win::last(), "GetDiskFreeSpaceExW", path));
    return static_cast<std::uint64_t>(available.QuadPart);
}

// See fs.hpp: NTFS logs the rename itself; FlushFileBuffers on a folder needs a handle opened with
// GENERIC_WRITE, which Windows grants on folders to administrators only.
Status fsync_directory(const fs::path&) { return {}; }

} // namespace tabagent::platform
