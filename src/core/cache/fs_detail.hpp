#pragma once
// Internal helpers of the cache room (not part of the public API): lstat without exceptions,
// lexical link resolution. Kept lexical on purpose: a scan of 20 000 links must
// not pay one realpath() per entry.
#include "core/error.hpp"
#include "core/platform/fs.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tabagent::cache::detail {

using TimePoint = std::chrono::system_clock::time_point;

using Kind = platform::Kind;
using Stat = platform::FileInfo;

// lstat (platform::lstat); nullopt when the path does not exist or cannot be stat'ed.
inline std::optional<Stat> lstat_path(const std::filesystem::path& path) { return platform::lstat(path); }
// stat (follows links).
inline std::optional<Stat> stat_path(const std::filesystem::path& path) { return platform::stat(path); }

// True when `p` is `base` or below it; both are compared lexically after normalisation.
bool lexically_within(const std::filesystem::path& base, const std::filesystem::path& p);

// Where the symlink at `link` (whose text is `target`) points, computed without touching the
// disk: relative targets are taken from the link's directory, then normalised.
std::filesystem::path resolve_link_lexically(const std::filesystem::path& link,
                                             const std::filesystem::path& target);

// A name that can stand alone in blobs/ : non-empty, no '/', no NUL, not "." or "..", does not
// start with '.'.
bool is_safe_name(std::string_view name);

// "models--owner--name" -> "owner/name"; nullopt for anything else (datasets--, spaces--, junk,
// or a name that fails validate_repo).
std::optional<std::string> repo_from_folder(std::string_view folder);

// Unique temp name in the same directory as `final_path` (same filesystem, so rename is atomic).
std::filesystem::path temp_sibling(const std::filesystem::path& final_path);
inline constexpr std::string_view k_temp_prefix = ".tabagent-tmp-";

} // namespace tabagent::cache::detail
