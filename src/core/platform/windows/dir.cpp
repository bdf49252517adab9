// Windows side of platform::Directory (fs.hpp): the folder is kept as its `\\?\` path; listing is
// FindFirstFileExW(FindExInfoBasic, FIND_FIRST_EX_LARGE_FETCH), whose entries carry the
// attributes and, for reparse points, the tag (dwReserved0) that tells a link from other kinds.
#include "core/platform/file.hpp"
#include "core/platform/fs.hpp"
#include "core/platform/windows/win.hpp"

#include <utility>

namespace tabagent::platform {
namespace fs = std::filesystem;
namespace {

Error not_a_folder(const fs::path& path, bool link) {
    // What openat(O_DIRECTORY | O_NOFOLLOW) says on POSIX: ELOOP for a link, ENOTDIR otherwise.
    return os_error(std::error_code(link ? ERROR_CANT_RESOLVE_FILENAME : ERROR_DIRECTORY, std::system_category()),
                    "", path);
}

} // namespace

Directory::~Directory() = default;
Directory::Directory(Directory&& o) noexcept : m_fd(-1), m_path(std::exchange(o.m_path, {})) {}
Directory& Directory::operator=(Directory&& o) noexcept {
    if (this != &o) m_path = std::exchange(o.m_path, {});
    return *this;
}

Result<Directory> Directory::open(const fs::path& path) {
    auto wide = win::long_path(path);
    auto st = platform::stat(fs::path(wide)); // follows a link at `path` itself
    if (!st) {
        std::error_code ec;
        if (!platform::lstat(fs::path(wide), &ec)) return tl::unexpected(os_error(ec, "", path));
        return tl::unexpected(not_a_folder(path, false));
    }
    if (st->kind != Kind::directory) return tl::unexpected(not_a_folder(path, false));
    Directory dir;
    dir.m_path = fs::path(std::move(wide));
    return dir;
}

Result<Directory> Directory::open_child(std::string_view name) const {
    auto child = fs::path(m_path.native() + L"\\" + win::to_utf16(name));
    std::error_code ec;
    auto st = platform::lstat(child, &ec);
    if (!st) return tl::unexpected(os_error(ec, "", child));
    if (st->kind != Kind::directory) return tl::unexpected(not_a_folder(child, st->kind == Kind::symlink));
    Directory dir;
    dir.m_path = std::move(child);
    return dir;
}

Status Directory::list(std::vector<DirEntry>& out) const {
    out.clear();
    WIN32_FIND_DATAW data{};
    const auto pattern = m_path.native() + L"\\*";
    HANDLE find = ::FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &data, FindExSearchNameMatch, nullptr,
                                     FIND_FIRST_EX_LARGE_FETCH);
    if (find == INVALID_HANDLE_VALUE) {
        const DWORD code = ::GetLastError();
        if (code == ERROR_FILE_NOT_FOUND) return {}; // no entry at all (a drive's empty root)
        return tl::unexpected(os_error(win::error(code), "", m_path));
    }
    do {
        const std::wstring_view name = data.cFileName;
        if (name == L"." || name == L"..") continue;
        DirEntry entry{win::to_utf8(name), Kind::regular};
        const DWORD attributes = data.dwFileAttributes;
        if ((attributes & FILE_ATTRIBUTE_REPARSE_POINT) &&
            (data.dwReserved0 == IO_REPARSE_TAG_SYMLINK || data.dwReserved0 == IO_REPARSE_TAG_MOUNT_POINT))
            entry.kind = Kind::symlink;
        else if (attributes & FILE_ATTRIBUTE_DIRECTORY) entry.kind = Kind::directory;
        else if (attributes & FILE_ATTRIBUTE_DEVICE) entry.kind = Kind::other;
        out.push_back(std::move(entry));
    } while (::FindNextFileW(find, &data));
    const DWORD code = ::GetLastError();
    ::FindClose(find);
    if (code != ERROR_NO_MORE_FILES) return tl::unexpected(os_error(win::error(code), "", m_path));
    return {};
}

std::optional<FileInfo> Directory::lstat_child(std::string_view name) const {
    return platform::lstat(fs::path(m_path.native() + L"\\" + win::to_utf16(name)));
}

std::optional<std::string> Directory::read_link_child(std::string_view name) const {
    return platform::read_symlink(fs::path(m_path.native() + L"\\" + win::to_utf16(name)));
}

std::optional<std::string> Directory::read_child(std::string_view name, std::size_t max) const {
    const fs::path child(m_path.native() + L"\\" + win::to_utf16(name));
    auto st = platform::lstat(child);
    if (!st || st->kind != Kind::regular) return std::nullopt; // a link is not followed
    auto file = File::open_read(child);
    if (!file) return std::nullopt;
    std::string text(max, '\0');
    auto got = file->pread_some(std::span(reinterpret_cast<std::byte*>(text.data()), text.size()), 0);
    if (!got) return std::nullopt;
    text.resize(*got);
    return text;
}

} // namespace tabagent::platform
