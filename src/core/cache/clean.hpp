#pragma once
// Evicting whole models, least recently used first (`clean` action, `tabagent-cache clean`).
#include "core/cache/scan.hpp"
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::cache {

struct CleanOptions {
    // Remove LRU repos until the cache (complete blobs + partials) is at most this many bytes.
    std::optional<std::uint64_t> max_bytes;
    // Remove repos whose newest blob access is older than this. Also drops partials of every
    // writer (cache/partials.hpp) and their side files not written for this long and not guarded
    // by a held lock: a download nobody resumed in that time will not be resumed, and partials
    // are otherwise invisible disk use.
    std::optional<std::chrono::seconds> older_than;
    bool dry_run = false;              // report what would go, change nothing
    std::optional<TimePoint> now;      // "now" for older_than; system clock when unset (tests)
};

struct RemovedRepo {
    std::string repo;
    std::uint64_t bytes = 0;  // blobs + partials + copies
    TimePoint last_access{};
    std::string reason;       // "older_than" or "max_bytes"
};

struct RemovedPartial {
    std::string repo;
    std::string etag;
    std::string file;   // from the repo folder, e.g. "blobs/<etag>.incomplete"
    std::string writer; // partial_kind_name: "incomplete", "huggingface_hub", "llama.cpp"
    std::uint64_t bytes = 0;
    TimePoint last_modified{};
};

struct CleanReport {
    std::vector<RemovedRepo> removed;             // in removal order (LRU first)
    std::vector<RemovedPartial> removed_partials;
    std::vector<std::string> skipped_busy;        // repos with a blob lock held (download running)
    std::uint64_t freed_bytes = 0;
    std::uint64_t total_before = 0;               // blobs + copies + partials
    std::uint64_t total_after = 0;
    bool dry_run = false;
    std::vector<std::string> warnings;
};

// Repos whose lock files are held by any process (ours included) are never removed: a download
// is running there. Errors only when a removal fails (INTERNAL); what was removed stays removed.
Result<CleanReport> clean(const std::filesystem::path& root, const CleanOptions& options);

} // namespace tabagent::cache
