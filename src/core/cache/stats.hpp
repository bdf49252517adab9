#pragma once
// Cache totals for `get_stats` / `tabagent-cache stats`, and free disk space.
#include "core/cache/scan.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::cache {

struct RepoStats {
    std::string repo;
    std::uint64_t size = 0;          // complete blobs + copies (ScannedRepo::size_on_disk)
    std::uint64_t partial_bytes = 0; // unfinished downloads
    std::size_t files = 0;           // distinct present paths
    std::size_t revisions = 0;       // snapshot folders
    TimePoint last_access{};
    TimePoint last_modified{};
};

// Whether snapshot files are links to blobs (the hub cache layout) or, where the OS refuses links
// to this user (Windows without Developer Mode), copies as huggingface_hub makes them then.
enum class LinkMode { symlinks, degraded, unknown };
std::string_view to_string(LinkMode mode);

struct CacheStats {
    std::filesystem::path root;
    std::size_t total_repos = 0;
    std::uint64_t total_size = 0;    // sum of RepoStats::size (partials not included)
    std::uint64_t partial_bytes = 0; // sum of partials
    std::optional<std::uint64_t> disk_free; // bytes available to this user on the cache's filesystem
    LinkMode link_mode = LinkMode::unknown; // probed in the root (unknown: absent or read-only)
    std::vector<RepoStats> repos;    // largest first
    std::vector<std::string> warnings;
};

CacheStats stats(const std::filesystem::path& root);
CacheStats stats_from_scan(const CacheScan& scan);

// A probe link created and removed in `root` (platform::symlinks_supported).
LinkMode link_mode(const std::filesystem::path& root);

// statvfs: f_bavail * f_frsize of the filesystem holding `path`; a path that does not exist yet
// is answered for its nearest existing ancestor. INTERNAL when nothing can be stat'ed.
Result<std::uint64_t> disk_free(const std::filesystem::path& path);

} // namespace tabagent::cache
