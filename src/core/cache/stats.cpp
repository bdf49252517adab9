#include "core/cache/stats.hpp"

#include "core/util/fd.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/statvfs.h>

namespace tabagent::cache {
namespace fs = std::filesystem;

Result<std::uint64_t> disk_free(const fs::path& path_in) {
    std::error_code ec;
    auto path = fs::absolute(path_in, ec);
    if (ec) path = path_in;
    while (true) {
        struct statvfs sv {};
        if (::statvfs(path.c_str(), &sv) == 0)
            return static_cast<std::uint64_t>(sv.f_bavail) * static_cast<std::uint64_t>(sv.f_frsize);
        int err = errno;
        if (err != ENOENT || !path.has_relative_path() || path == path.parent_path())
            return tl::unexpected(util::errno_error(err, "statvfs", path));
        path = path.parent_path();
    }
}

CacheStats stats_from_scan(const CacheScan& scan) {
    CacheStats out;
    out.root = scan.root;
    out.total_repos = scan.repos.size();
    out.total_size = scan.size_on_disk;
    out.partial_bytes = scan.partial_bytes;
    out.warnings = scan.warnings;
    for (const auto& r : scan.repos)
        out.repos.push_back(RepoStats{r.repo, r.size_on_disk, r.partial_bytes, r.file_count,
                                      r.revisions.size(), r.last_accessed, r.last_modified});
    std::stable_sort(out.repos.begin(), out.repos.end(),
                     [](const RepoStats& a, const RepoStats& b) { return a.size > b.size; });
    if (auto free = disk_free(scan.root)) out.disk_free = *free;
    return out;
}

CacheStats stats(const fs::path& root) { return stats_from_scan(scan_cache(root)); }

} // namespace tabagent::cache
