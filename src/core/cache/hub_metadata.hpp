#pragma once
// The metadata huggingface_hub 1.x keeps in the cache besides blobs, snapshots and refs, read and
// written the way it does (README "Working with other tools" lists the sources):
//   <root>/CACHEDIR.TAG                             marks the cache for backup tools
//                                                   (_local_folder.py `_create_cachedir_tag`)
//   <root>/models--o--n/trees/<commit>.json         the whole tree listing of a commit, so a
//                                                   client can skip HEADs (_tree_cache.py)
//   <root>/models--o--n/.no_exist/<commit>/<path>   empty: the Hub has no such file at that
//                                                   commit (file_download.py
//                                                   `_get_metadata_or_catch_error`, read by
//                                                   `try_to_load_from_cache`)
// Every reader here tolerates absence and junk: none of it is required.
#include "core/error.hpp"
#include "core/model/repo_file.hpp"

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace tabagent::cache {

class Store;

// Whether models--o--n exists (as a folder or a link to one). The writers below create it; callers
// ask first where a write alone must not make an uncached repo appear in `list`.
bool repo_folder_exists(const Store& store, std::string_view repo);

inline constexpr std::string_view k_cachedir_tag_name = "CACHEDIR.TAG";
// Byte for byte huggingface_hub's CACHEDIR_TAG_CONTENT; the first line is the standard's
// signature (https://bford.info/cachedir/), the rest is free text.
inline constexpr std::string_view k_cachedir_tag_content =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by huggingface_hub.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n";

// Creates <root>/CACHEDIR.TAG when absent (never rewrites one; no temp file at the root).
// The root is created if needed. Errors only from the OS.
Status ensure_cachedir_tag(const std::filesystem::path& root);

// trees/<commit>.json, format_version 1:
//   {"format_version":1,"files":{"<path>":{"size","blob_id"[,"lfs_sha256","lfs_size"][,"xet_hash"]}}}
std::filesystem::path tree_cache_path(const Store& store, std::string_view repo, std::string_view commit);

// The listing of `commit` as huggingface_hub saved it: files with etag = lfs_sha256 (LFS) else
// blob_id, size = lfs_size else size. nullopt when absent, of another format_version, or when
// any entry is malformed (huggingface_hub ignores such a file as a whole too).
std::optional<std::vector<model::RepoFile>> read_tree_cache(const Store& store, std::string_view repo,
                                                            std::string_view commit);

// Writes the listing as trees/<listing.commit>.json unless one is there already (a commit never
// changes). Returns false, writing nothing, when the listing cannot be told faithfully: an LFS file
// without its git blob id (huggingface_hub would hand that id out as the file's oid).
Result<bool> write_tree_cache(const Store& store, const model::RepoListing& listing);

std::filesystem::path no_exist_path(const Store& store, std::string_view repo, std::string_view commit,
                                    std::string_view path);

// True when .no_exist/<commit>/<path> is a file, the commit being `revision` itself or what
// refs/<revision> names. Invalid names answer false.
bool is_known_missing(const Store& store, std::string_view repo, std::string_view path,
                      std::string_view revision);

// Creates the empty marker .no_exist/<commit>/<path> (folders included). INVALID_* / BAD_REQUEST
// on bad names, OS errors otherwise.
Status write_no_exist(const Store& store, std::string_view repo, std::string_view commit, std::string_view path);

} // namespace tabagent::cache
