#pragma once
// Read-only walk of a whole cache (or one repo): what `list`, `stats`, `clean`, `delete` and
// `verify` start from. Uses lstat/readlink and resolves links lexically (no hashing, no realpath
// per entry), so 1 000 repos / 20 000 files take well under a second. Never throws: junk
// (broken links, stray files, unreadable folders) is skipped and noted in `warnings`.
#include "core/cache/partials.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::cache {

using TimePoint = std::chrono::system_clock::time_point;

struct ScannedFile {
    std::string path;         // '/'-separated path inside the snapshot
    std::string etag;         // blob name the link points at; empty for a copy or a foreign link
    std::uint64_t size = 0;   // size of the blob / copy; 0 when absent
    bool present = false;     // the entry resolves to a regular file inside the repo
    bool is_copy = false;     // the snapshot entry is a regular file, not a link
};

struct ScannedRevision {
    std::string commit;
    std::vector<std::string> refs;   // ref names pointing at this commit ("main", "pr/1")
    std::vector<ScannedFile> files;  // sorted by path
    std::uint64_t size = 0;          // present content of this revision, each blob once
    TimePoint last_modified{};       // snapshot folder mtime
};

struct ScannedBlob {
    std::uint64_t size = 0;
    TimePoint last_accessed{};
    TimePoint last_modified{};
    std::size_t links = 0; // snapshot links pointing at it (0 = orphan)
};

// An unfinished download, ours or another tool's (cache/partials.hpp names them all).
struct ScannedPartial {
    std::string etag;         // the blob it will become; "" for llama.cpp's snapshot partials
    std::string file;         // path from the repo folder: "blobs/<name>" or "snapshots/<commit>/<path>"
    PartialKind kind = PartialKind::incomplete;
    std::uint64_t size = 0;
    TimePoint last_modified{};
};

struct ScannedRepo {
    std::string repo;                        // owner/name
    std::filesystem::path dir;               // <root>/models--owner--name
    std::map<std::string, std::string> refs; // ref name -> commit (as read; may be dangling)
    std::vector<ScannedRevision> revisions;  // newest snapshot first
    std::map<std::string, ScannedBlob> blobs; // complete blobs by etag
    std::vector<ScannedPartial> partials;    // every writer's partials, see cache/partials.hpp
    std::uint64_t size_on_disk = 0;  // complete blobs + snapshot copies, each counted once
    std::uint64_t partial_bytes = 0; // partials of every writer, reported apart
    std::size_t file_count = 0;      // distinct present paths over all revisions
    TimePoint last_accessed{};       // newest blob atime (folder mtime when there are no blobs)
    TimePoint last_modified{};       // newest blob / snapshot mtime
    std::vector<std::string> warnings;
};

struct CacheScan {
    std::filesystem::path root;
    std::vector<ScannedRepo> repos;  // sorted by repo id
    std::uint64_t size_on_disk = 0;  // sum over repos
    std::uint64_t partial_bytes = 0;
    std::vector<std::string> warnings; // cache-level and per-repo warnings, prefixed by the repo
};

// Scans every models--* folder under root. datasets--*/spaces--*, .locks and dot-folders are
// skipped silently; a missing root is an empty cache.
CacheScan scan_cache(const std::filesystem::path& root);

// One repo; nullopt when its folder does not exist (or the repo id is invalid).
std::optional<ScannedRepo> scan_repo(const std::filesystem::path& root, std::string_view repo);

} // namespace tabagent::cache
