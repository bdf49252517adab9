#pragma once
// Replacing a small file atomically (listings, journals, the token, refs): a reader sees the old
// content or the new, never a mix, an empty file or no file. The content goes to a temp file of a
// unique name in the target's folder (same filesystem, so rename(2) is atomic, and two writers of
// one target never share a temp), then the rename puts it in place; the last rename wins. How much
// survives a power cut is the caller's choice.
#include "core/error.hpp"
#include "core/util/fd.hpp"

#include <filesystem>
#include <functional>
#include <string_view>

namespace tabagent::util {

enum class Durability {
    none,               // survives a crash of the process (kill -9): the page cache holds it
    file,               // + fdatasync of the temp before the rename: after a power cut, the old
                        //   content or the new one, never an empty file
    file_and_directory, // + fsync of the folder after the rename: the rename itself survives too
};

struct AtomicWriteOptions {
    Durability durability = Durability::none;
    int mode = 0644; // the new file's permissions from its creation (0600 leaves no readable window)
};

// Fills the open temp file; the seam for writers that stream, and for tests that fail a write.
using TempWriter = std::function<Status(const UniqueFd&)>;

// Replaces `target` with `content`. The folder must exist. Errors: DISK_FULL (ENOSPC, EDQUOT),
// NOT_FOUND (no such folder), INTERNAL otherwise. On any error the target is untouched and the
// temp file is gone, except after the rename, when only the folder's fsync failed.
Status write_file_atomically(const std::filesystem::path& target, std::string_view content,
                             const AtomicWriteOptions& options = {});
Status write_file_atomically(const std::filesystem::path& target, const TempWriter& write,
                             const AtomicWriteOptions& options = {});

// True for the temp names the functions above use, "<target name>.tmp.<pid>.<16 hex>": folder
// walkers skip them (a kill -9 between create and rename leaves one behind).
bool is_atomic_temp_name(std::string_view name);

} // namespace tabagent::util
