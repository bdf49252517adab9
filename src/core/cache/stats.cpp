#include "core/cache/stats.hpp"

#include "core/cache/store.hpp"
#include "core/platform/fs.hpp"

#include <algorithm>

namespace tabagent::cache {
namespace fs = std::filesystem;

Result<std::uint64_t> disk_free(const fs::path& path_in) {
    std::error_code ec;
    auto path = fs::absolute(path_in, ec);
    if (ec) path = path_in;
    while (true) {
        auto free = platform::disk_free(path);
        if (free || free.error().code != ErrorCode::not_found || !path.has_relative_path() ||
            path == path.parent_path())
            return free;
        path = path.parent_path();
    }
}

LinkMode link_mode(const fs::path& root) {
    if (links_refused_for_testing()) return LinkMode::degraded;
    auto supported = platform::symlinks_supported(root);
    if (!supported) return LinkMode::unknown;
    return *supported ? LinkMode::symlinks : LinkMode::degraded;
}

std::string_view to_string(LinkMode mode) {
    switch (mode) {
    case LinkMode::symlinks: return "symlinks";
    case LinkMode::degraded: return "degraded";
    case LinkMode::unknown: return "unknown";
    }
    return "unknown";
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
    out.link_mode = link_mode(scan.root);
    if (out.link_mode == LinkMode::degraded)
        out.warnings.push_back("symbolic links cannot be created in " + scan.root.string() +
                               " (on Windows: Developer Mode is off and this is not an administrator): new "
                               "files are stored as copies in their snapshot, degraded as with huggingface_hub");
    return out;
}

CacheStats stats(const fs::path& root) { return stats_from_scan(scan_cache(root)); }

} // namespace tabagent::cache
