#pragma once
// Removing models from the cache. Both functions only ever unlink names inside the repo's own
// folder (and its .locks folder); links are removed as links, never followed.
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::cache {

// Removes <root>/models--o--n entirely (blobs, partials, snapshots, refs) and
// <root>/.locks/models--o--n. Returns the bytes of regular files removed. INVALID_REPO on a bad
// id, NOT_FOUND when the repo is not cached, INTERNAL when something could not be removed
// (what was removed stays removed).
Result<std::uint64_t> delete_repo(const std::filesystem::path& root, std::string_view repo);

// Removes the snapshot entries of `paths` from every snapshot, then the blobs no remaining link
// references (blobs shared with other variants or revisions stay), then empty folders. When
// nothing is left (no snapshot entries, blobs or partials) the repo folder goes too.
// Partials are not touched (a download may be writing them). Returns the bytes freed (blobs and
// copies). INVALID_REPO / INVALID_PATH on bad names, NOT_FOUND when the repo is not cached.
Result<std::uint64_t> delete_files(const std::filesystem::path& root, std::string_view repo,
                                   const std::vector<std::string>& paths);

} // namespace tabagent::cache
