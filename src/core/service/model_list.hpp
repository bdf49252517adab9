#pragma once
// What `list_models` / `tabagent-cache list` report: the cached repos with their size, revisions
// and the variants present. Typed here; wire::to_json gives the protocol's shape.
#include "core/cache/scan.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tabagent::service {

struct CachedRevision {
    std::string commit;
    std::vector<std::string> refs; // "main", "pr/1", ...
    std::uint64_t size = 0;        // present content, each blob once
    std::size_t files = 0;         // snapshot entries
};

struct CachedModel {
    std::string repo;
    std::uint64_t size = 0;          // complete blobs + copies
    std::uint64_t partial_bytes = 0; // unfinished downloads
    std::size_t files = 0;           // distinct present paths
    std::vector<CachedRevision> revisions;
    std::vector<std::string> variants; // variants whose files are all present
    bool scanned = false;              // a listing from the Hub is stored (variants are exact)
    cache::TimePoint last_access{};    // epoch when unknown
    cache::TimePoint last_modified{};
};

struct ModelList {
    std::filesystem::path cache_root;
    std::vector<CachedModel> models; // by repo id
};

} // namespace tabagent::service
