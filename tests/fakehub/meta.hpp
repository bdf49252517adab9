#pragma once
// The per-repo metadata file `<root>/<owner>/<name>/.fakehub.json`, shared by the server and the
// generator: commit sha, card fields, and a hash cache so big files are hashed once, not per start.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::fakehub {

inline constexpr const char* k_meta_name = ".fakehub.json";
inline constexpr std::uint64_t k_default_lfs_threshold = 1 << 20;

// One cached hash entry; valid while size and mtime still match the file on disk.
struct CachedHash {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::string sha256;   // empty when not computed yet
    std::string git_sha1; // sha1("blob <size>\0" + bytes); empty when not computed yet
};

struct RepoMeta {
    std::string sha; // 40 hex; empty = derive from the listing
    std::string pipeline_tag;
    std::string library_name;
    nlohmann::json gated = false; // false, "auto" or "manual" as the Hub reports it
    bool is_private = false;
    std::uint64_t lfs_threshold = k_default_lfs_threshold;
    std::map<std::string, CachedHash> hashes; // by repo-relative path
};

// Reads the file; nullopt when absent or unparsable (the caller then starts from defaults).
std::optional<RepoMeta> load_meta(const std::filesystem::path& repo_dir);
// Writes atomically (temp file + rename) so a concurrent reader never sees half a file.
bool save_meta(const std::filesystem::path& repo_dir, const RepoMeta& meta);

// Stored through git LFS on the Hub: weight-like extensions, or any file at or above `threshold`.
bool is_lfs_file(const std::string& path, std::uint64_t size, std::uint64_t threshold);
bool is_gated(const nlohmann::json& gated);
// "owner/name" with safe segments ([A-Za-z0-9._-], not "." or "..").
bool valid_repo_id(const std::string& repo_id);

// Text of the git LFS pointer the Hub stores in git for an LFS file (its git oid is the tree "oid").
std::string lfs_pointer(const std::string& sha256, std::uint64_t size);
// sha1 hex of arbitrary text, as git would hash it as a blob.
std::string git_blob_sha1(const std::string& text);

struct ListedFile {
    std::string path;
    std::uint64_t size = 0;
    std::string hash;
};
// A deterministic 40-hex commit id derived from the listing (paths, sizes, content hashes).
std::string commit_from_listing(std::vector<ListedFile> files);

struct FileHashes {
    std::string sha256;
    std::string git_sha1;
};
// Hashes a file with bounded memory. `flip` hashes the bytes XOR 0xFF (the "changed upstream"
// version the server can serve). Empty strings on I/O error.
FileHashes hash_file_content(const std::filesystem::path& path, bool want_sha256, bool want_sha1,
                             bool flip);

std::int64_t mtime_ns(const std::filesystem::path& path);

} // namespace tabagent::fakehub
