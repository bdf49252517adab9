#pragma once
// Unfinished downloads in a repo folder, whoever wrote them. Three writers share the cache today:
//   blobs/<etag>.incomplete             ours; huggingface_hub < 1.0 (resumable, one per blob)
//   blobs/<etag>.<8 hex>.incomplete     huggingface_hub >= 1.0: one per process, never resumed
//                                       (file_download.py `_download_to_tmp_and_move`)
//   blobs/<blob>.downloadInProgress     llama.cpp (common/download.cpp: path + ".downloadInProgress",
//                                       appended to and resumed with Range); without symlinks
//                                       llama.cpp downloads into the snapshot path instead, so
//   snapshots/<commit>/<path>.downloadInProgress  is one too (common/hf-cache.cpp, degraded mode).
// None of them is a blob; all count as unfinished bytes; none is removed while a lock guarding it
// is held by anyone.
#include "core/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::cache {

class Store;
struct ScannedPartial;

enum class PartialKind {
    incomplete,      // <etag>.incomplete (ours; huggingface_hub 0.x)
    huggingface_hub, // <etag>.<8 hex>.incomplete (huggingface_hub 1.x)
    llama_cpp,       // <blob>.downloadInProgress
};

std::string_view partial_kind_name(PartialKind kind);

struct PartialName {
    std::string etag; // the blob it will become ("" when unknown: llama.cpp's snapshot partials)
    PartialKind kind = PartialKind::incomplete;
};

// The partial a file name in blobs/ stands for; nullopt for anything else (a blob, a journal).
std::optional<PartialName> parse_partial_name(std::string_view name);

// Side files that live beside partials and belong to their writer: our journal
// ("<etag>.incomplete.journal" and its temps), llama.cpp's "<x>.downloadInProgress.*".
bool is_partial_side_file(std::string_view name);

// llama.cpp's suffix for a download in progress.
inline constexpr std::string_view k_llama_partial_suffix = ".downloadInProgress";

// Every lock file that may guard this partial, for probing only:
//   .locks/models--o--n/<etag>.lock — ours, huggingface_hub's WeakFileLock (file_download.py
//   `hf_hub_download` → `_hf_hub_download_to_cache_dir`), and the layout llama.cpp's
//   cross-process lock is to use (common/file-lock.cpp: flock LOCK_EX on POSIX);
//   <partial>.lock and <final>.lock beside the file, where a tool without the .locks layout
//   would put its lock.
std::vector<std::filesystem::path> partial_lock_paths(const Store& store, std::string_view repo,
                                                      const ScannedPartial& partial);

// True when any of partial_lock_paths is held (by another process or by this one). Lock files
// are probed without being created. A lock that cannot be probed counts as held: when in doubt,
// keep another tool's bytes.
bool partial_in_use(const Store& store, std::string_view repo, const ScannedPartial& partial);

// The first partial of the repo (its path from the repo folder) that partial_in_use; nullopt when
// none is (or the repo is not cached). What a whole-repo delete asks before removing anything.
std::optional<std::string> held_partial(const Store& store, std::string_view repo);

} // namespace tabagent::cache
