#include "core/cache/fs_detail.hpp"

#include "core/names.hpp"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tabagent::cache::detail {
namespace fs = std::filesystem;
namespace {

TimePoint to_time_point(const struct timespec& ts) {
    using namespace std::chrono;
    return TimePoint(duration_cast<system_clock::duration>(seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec)));
}

Stat from_stat(const struct stat& st) {
    Stat out;
    if (S_ISREG(st.st_mode)) out.kind = Kind::regular;
    else if (S_ISDIR(st.st_mode)) out.kind = Kind::directory;
    else if (S_ISLNK(st.st_mode)) out.kind = Kind::symlink;
    out.size = static_cast<std::uint64_t>(st.st_size);
#ifdef __APPLE__
    out.atime = to_time_point(st.st_atimespec);
    out.mtime = to_time_point(st.st_mtimespec);
#else
    out.atime = to_time_point(st.st_atim);
    out.mtime = to_time_point(st.st_mtim);
#endif
    return out;
}

} // namespace

std::optional<Stat> lstat_path(const fs::path& path, int* err) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (err) *err = errno;
        return std::nullopt;
    }
    return from_stat(st);
}

std::optional<Stat> lstat_at(int dirfd, const char* name) {
    struct stat st {};
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    return from_stat(st);
}

std::optional<Stat> stat_path(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return from_stat(st);
}

bool lexically_within(const fs::path& base, const fs::path& p) {
    auto b = base.lexically_normal();
    auto q = p.lexically_normal();
    auto bi = b.begin();
    auto qi = q.begin();
    for (; bi != b.end(); ++bi, ++qi) {
        if (bi->empty()) continue; // trailing separator of a normalised directory path
        if (qi == q.end() || *bi != *qi) return false;
    }
    return true;
}

fs::path resolve_link_lexically(const fs::path& link, const fs::path& target) {
    if (target.is_absolute()) return target.lexically_normal();
    return (link.parent_path() / target).lexically_normal();
}

bool is_safe_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    for (char c : name)
        if (c == '/' || c == '\0' || c == '\\') return false;
    return true;
}

std::optional<std::string> repo_from_folder(std::string_view folder) {
    constexpr std::string_view prefix = "models--";
    if (folder.substr(0, prefix.size()) != prefix) return std::nullopt;
    auto rest = folder.substr(prefix.size());
    auto sep = rest.find("--");
    if (sep == std::string_view::npos) return std::nullopt;
    std::string repo = std::string(rest.substr(0, sep)) + "/" + std::string(rest.substr(sep + 2));
    if (!validate_repo(repo)) return std::nullopt;
    return repo;
}

fs::path temp_sibling(const fs::path& final_path) {
    static std::atomic<unsigned> counter{0};
    // The stem is cut so the name stays under NAME_MAX even for long file names.
    auto name = std::string(k_temp_prefix) + final_path.filename().string().substr(0, 100) + "-" +
                std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    return final_path.parent_path() / name;
}

} // namespace tabagent::cache::detail
