#pragma once
// Grammar of repo ids and in-repo file paths (DESIGN §3). Every action checks both before it
// touches the disk or the network.
#include "core/error.hpp"

#include <string>
#include <string_view>

namespace tabagent {

// owner/name, each part [A-Za-z0-9][A-Za-z0-9._-]{0,95}, no "--" or ".." anywhere.
Status validate_repo(std::string_view repo);
// Relative path of non-empty segments, none "." or "..", no backslash, no NUL, no leading '/',
// at most 1024 bytes.
Status validate_file_path(std::string_view path);
// A revision: a branch/tag name or a 40-hex commit; same safety rules as a single path segment
// sequence (refs/pr/1 is allowed).
Status validate_revision(std::string_view revision);
bool is_commit_hash(std::string_view s);

// "owner/name" -> "models--owner--name" (the HF cache folder name).
std::string repo_folder_name(std::string_view repo);

} // namespace tabagent
