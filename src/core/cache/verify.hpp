#pragma once
// Re-hashing the cache (`verify` action / `tabagent-cache verify`). A blob's name is its etag,
// so no extra metadata is needed: sha256 for 64-hex names, git sha1 for 40-hex names. A degraded
// cache (no link rights: the snapshot holds regular files, blobs/ may be empty) is checked file by
// file against the etag its commit's trees/<commit>.json names (unverifiable without one).
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::cache {

enum class BlobState {
    ok,           // content hashes to its name
    bad,          // content does not match its name (removed when remove_bad)
    missing,      // a snapshot link points at a blob that is not there
    unverifiable, // the blob's name is not a sha256 / git sha1 (never counted as bad)
    unreadable,   // I/O error while hashing (never removed)
};
std::string_view to_string(BlobState state);

struct BlobCheck {
    std::string repo;
    std::string etag;
    std::filesystem::path path;      // blobs/<etag>, or snapshots/<commit>/<path> for a copy
    std::uint64_t size = 0;
    BlobState state = BlobState::ok;
    bool removed = false;            // deleted because bad and remove_bad
    std::vector<std::string> files;  // snapshot paths linking to it (unique, sorted); a copy's own path
    std::string error;               // for unreadable
};

struct VerifyReport {
    std::vector<BlobCheck> blobs;    // per repo: blobs (etag order), copies, then missing blobs
    std::size_t ok = 0, bad = 0, missing = 0, unverifiable = 0, unreadable = 0;
    std::uint64_t bytes_hashed = 0;
    bool cancelled = false;          // stop requested: the report covers what was done
    std::vector<std::string> warnings;
};

// (bytes hashed so far, total bytes to hash). Called at most once per MiB read and once at the end.
using VerifyProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Verifies every blob of `repo` (or of the whole cache when nullopt). With remove_bad, bad blobs
// are deleted: their snapshot links then dangle, which every reader treats as absent, so a new
// download repairs them. INVALID_REPO on a bad id, NOT_FOUND when the given repo is not cached.
Result<VerifyReport> verify(const std::filesystem::path& root, const std::optional<std::string>& repo,
                            bool remove_bad, const VerifyProgress& progress = {},
                            std::stop_token stop = {});

} // namespace tabagent::cache
