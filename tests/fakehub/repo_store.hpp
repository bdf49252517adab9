#pragma once
// Repos served from `<root>/<owner>/<name>/` (files as in a checkout + .fakehub.json). Tests may add
// repos and files while the server runs: every request checks the mtimes of the repo's folders and
// of .fakehub.json (a few stats), and rescans only when one changed; hashes come from the cache in
// .fakehub.json and are computed only when missing or stale. The views built from a scan (one per
// revision) are kept with it, so a request costs no copy of a repo's listing (issue 15: 200 small
// files through resolve + CDN rebuilt the listing three times per file).
#include "meta.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tabagent::fakehub {

struct FileInfo {
    std::string path;            // repo-relative, '/' separated
    std::filesystem::path disk;  // where the bytes are
    std::uint64_t size = 0;
    bool lfs = false;
    bool flipped = false;        // served as bytes XOR 0xFF (a simulated upstream change)
    std::string sha256;          // set for LFS files
    std::string git_sha1;        // git blob sha1 of the content; set for non-LFS files
    std::string tree_oid;        // the tree API "oid": content sha1, or the LFS pointer's sha1
    std::uint64_t pointer_size = 0;

    // The Hub's etag: sha256 for LFS, git blob sha1 otherwise.
    const std::string& etag() const { return lfs ? sha256 : git_sha1; }
};

struct RepoView {
    std::string id;
    std::string sha; // the commit this view shows
    std::string pipeline_tag;
    std::string library_name;
    nlohmann::json gated = false;
    bool is_private = false;
    std::vector<FileInfo> files; // sorted by path
    std::size_t fingerprint = 0; // of sha and files (path, size, etag); TreeCache keys on it

    const FileInfo* find(const std::string& path) const;
};

enum class Lookup { ok, no_repo, no_revision };

class RepoStore {
public:
    explicit RepoStore(std::filesystem::path root) : m_root(std::move(root)) {}

    // The repo at `rev` ("main" or a commit it has had), or null with `found` = no_repo. On
    // no_revision the view has the card fields only (id, private, gated) so callers can check
    // access first. Views are shared and immutable: the same one serves every request until the
    // repo changes on disk or a simulated commit is added or undone.
    std::shared_ptr<const RepoView> view(const std::string& repo_id, const std::string& rev, Lookup& found);
    // Simulates an upstream commit that changes `path` (toggles its XOR 0xFF version); returns the
    // new commit sha, empty when the repo or file is unknown. Older commits keep their bytes.
    std::string change_content(const std::string& repo_id, const std::string& path);
    // Finds `path` in any known commit whose content hash (sha256 or git sha1) is `hash`: the CDN
    // is content-addressed, so an old URL keeps serving the old bytes.
    bool find_blob(const std::string& repo_id, const std::string& path, const std::string& hash,
                   FileInfo& out);
    // Forgets simulated changes (back to the bytes on disk).
    void reset_changes();

private:
    struct Commit {
        std::string sha;
        std::set<std::string> flipped;
    };
    struct State {
        std::mutex mutex;
        std::int64_t meta_mtime = -1;
        RepoMeta meta;
        std::vector<Commit> extra_commits; // simulated commits after the on-disk one
        std::map<std::string, FileHashes> flipped_hashes; // key: path + '\n' + size + '\n' + mtime
        // The last scan (files of the on-disk commit), reused while .fakehub.json and every folder
        // keep their mtimes (a file added, removed or renamed changes its folder's; fakehub-gen
        // rewrites .fakehub.json). Not kept when a folder changed within the last 2 s (timestamps
        // are coarse: a change in the same tick would not show).
        std::vector<std::pair<std::filesystem::path, std::int64_t>> folders;
        std::vector<FileInfo> files;
        bool scan_kept = false;
        // Views built from `files`, by revision; dropped with the scan, and when a simulated
        // commit is added or undone ("main" moves).
        std::map<std::string, std::shared_ptr<const RepoView>> views;
    };

    std::shared_ptr<State> state_for(const std::string& repo_id);
    std::filesystem::path repo_dir(const std::string& repo_id) const;
    // Brings st.files up to date: rescans unless the kept scan is still valid (then st.views hold).
    void refresh(const std::string& repo_id, State& st);
    // Rescans the directory, refreshing the hash cache; returns files of the on-disk commit.
    std::vector<FileInfo> scan(const std::string& repo_id, State& st, std::int64_t meta_mtime);
    bool unchanged_since_last_scan(const State& st, std::int64_t meta_mtime) const;
    std::shared_ptr<const RepoView> build_view(const std::string& repo_id, State& st, const std::string& rev,
                                               Lookup& found);
    void apply_flip(State& st, FileInfo& f);

    std::filesystem::path m_root;
    std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<State>> m_states;
};

} // namespace tabagent::fakehub
