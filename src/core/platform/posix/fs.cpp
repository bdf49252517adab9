// POSIX side of platform/fs.hpp (Linux, macOS).
#include "core/platform/fs.hpp"

#include "core/platform/file.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <utility>

namespace tabagent::platform {
namespace fs = std::filesystem;
namespace {

TimePoint to_time_point(const struct timespec& ts) {
    using namespace std::chrono;
    return TimePoint(duration_cast<system_clock::duration>(seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec)));
}

FileInfo from_stat(const struct stat& st) {
    FileInfo out;
    if (S_ISREG(st.st_mode)) out.kind = Kind::regular;
    else if (S_ISDIR(st.st_mode)) out.kind = Kind::directory;
    else if (S_ISLNK(st.st_mode)) out.kind = Kind::symlink;
    out.size = static_cast<std::uint64_t>(st.st_size);
#if defined(__APPLE__)
    out.atime = to_time_point(st.st_atimespec);
    out.mtime = to_time_point(st.st_mtimespec);
#else
    out.atime = to_time_point(st.st_atim);
    out.mtime = to_time_point(st.st_mtim);
#endif
    return out;
}

struct timespec to_timespec(TimePoint t) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    struct timespec ts {};
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    return ts;
}

std::optional<std::string> read_link_at(int fd, const char* name) {
    char buf[4096];
    auto n = ::readlinkat(fd, name, buf, sizeof buf);
    if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
}

} // namespace

std::optional<FileInfo> lstat(const fs::path& path, std::error_code* ec) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (ec) *ec = last_error();
        return std::nullopt;
    }
    return from_stat(st);
}

std::optional<FileInfo> stat(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return from_stat(st);
}

Status set_file_times(const fs::path& path, TimePoint atime, TimePoint mtime) {
    struct timespec times[2] = {to_timespec(atime), to_timespec(mtime)};
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        return tl::unexpected(os_error(last_error(), "cannot set the times of", path));
    return {};
}

Status create_directories(const fs::path& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return tl::unexpected(os_error(ec, "cannot create folder", path));
    return {};
}

Status rename_replace(const fs::path& from, const fs::path& to, const RetryBudget&) {
    if (::rename(from.c_str(), to.c_str()) != 0) return tl::unexpected(os_error(last_error(), "cannot rename", to));
    return {};
}

Result<bool> remove_file(const fs::path& path, const RetryBudget&) {
    if (::unlink(path.c_str()) == 0) return true;
    if (errno == ENOENT) return false;
    return tl::unexpected(os_error(last_error(), "cannot remove", path));
}

bool remove_empty_dir(const fs::path& path) { return ::rmdir(path.c_str()) == 0; }

Result<LinkResult> create_symlink(const fs::path& target, const fs::path& link) {
    if (::symlink(target.c_str(), link.c_str()) == 0) return LinkResult::created;
    // vfat/exFAT answer EPERM, some FUSE and network filesystems ENOTSUP/EOPNOTSUPP.
    if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP) return LinkResult::unsupported;
    return tl::unexpected(os_error(last_error(), "cannot create link", link));
}

std::optional<std::string> read_symlink(const fs::path& path) { return read_link_at(AT_FDCWD, path.c_str()); }

Result<fs::path> canonical(const fs::path& path) {
    std::error_code ec;
    auto real = fs::canonical(path, ec);
    if (ec) return tl::unexpected(os_error(ec, "cannot resolve", path));
    return real;
}

Status copy_file(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::none, ec);
    if (ec) return tl::unexpected(os_error(ec, "cannot copy " + from.string() + " to", to));
    return {};
}

Result<std::uint64_t> disk_free(const fs::path& path) {
    struct statvfs sv {};
    if (::statvfs(path.c_str(), &sv) != 0) return tl::unexpected(os_error(last_error(), "statvfs", path));
    return static_cast<std::uint64_t>(sv.f_bavail) * static_cast<std::uint64_t>(sv.f_frsize);
}

Status fsync_directory(const fs::path& dir) {
    File fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return tl::unexpected(os_error(last_error(), "cannot open directory", dir));
    if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != ENOTSUP)
        return tl::unexpected(os_error(last_error(), "fsync directory", dir));
    return {};
}

Directory::~Directory() {
    if (m_fd >= 0) ::close(m_fd);
}
Directory::Directory(Directory&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
Directory& Directory::operator=(Directory&& o) noexcept {
    if (this != &o) {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = std::exchange(o.m_fd, -1);
    }
    return *this;
}

Result<Directory> Directory::open(const fs::path& path) {
    Directory dir;
    dir.m_fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir.m_fd < 0) return tl::unexpected(os_error(last_error(), "", path));
    return dir;
}

Result<Directory> Directory::open_child(std::string_view name) const {
    Directory dir;
    dir.m_fd = ::openat(m_fd, std::string(name).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dir.m_fd < 0) return tl::unexpected(os_error(last_error(), "", fs::path(std::string(name))));
    return dir;
}

// readdir over a dup of the fd (fdopendir takes ownership). d_type saves one fstatat per entry on
// the filesystems that provide it.
Status Directory::list(std::vector<DirEntry>& out) const {
    out.clear();
    int dup_fd = ::fcntl(m_fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return tl::unexpected(os_error(last_error(), "", {}));
    DIR* dir = ::fdopendir(dup_fd);
    if (!dir) {
        auto err = last_error();
        ::close(dup_fd);
        return tl::unexpected(os_error(err, "", {}));
    }
    ::rewinddir(dir);
    errno = 0;
    while (dirent* d = ::readdir(dir)) {
        const char* n = d->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
        DirEntry e{n, Kind::other};
        switch (d->d_type) {
        case DT_REG: e.kind = Kind::regular; break;
        case DT_DIR: e.kind = Kind::directory; break;
        case DT_LNK: e.kind = Kind::symlink; break;
        case DT_UNKNOWN:
            if (auto st = lstat_child(n)) e.kind = st->kind;
            break;
        default: break;
        }
        out.push_back(std::move(e));
        errno = 0;
    }
    auto err = last_error();
    ::closedir(dir);
    if (err.value() != 0) return tl::unexpected(os_error(err, "", {}));
    return {};
}

std::optional<FileInfo> Directory::lstat_child(std::string_view name) const {
    struct stat st {};
    if (::fstatat(m_fd, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    return from_stat(st);
}

std::optional<std::string> Directory::read_link_child(std::string_view name) const {
    return read_link_at(m_fd, std::string(name).c_str());
}

std::optional<std::string> Directory::read_child(std::string_view name, std::size_t max) const {
    File file(::openat(m_fd, std::string(name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!file) return std::nullopt;
    std::string text(max, '\0');
    auto n = ::read(file.get(), text.data(), max);
    if (n < 0) return std::nullopt;
    text.resize(static_cast<std::size_t>(n));
    return text;
}

} // namespace tabagent::platform
