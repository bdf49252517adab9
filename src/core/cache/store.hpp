#pragma once
// The model cache on disk, in the Hugging Face hub cache layout (DESIGN §4):
//   <root>/models--<owner>--<name>/blobs/<etag>                content, named by its etag
//   <root>/models--<owner>--<name>/blobs/<etag>.incomplete     partial download
//   <root>/models--<owner>--<name>/snapshots/<commit>/<path>   relative symlink -> ../../blobs/<etag>
//   <root>/models--<owner>--<name>/refs/<revision>             40-hex commit, no newline
//   <root>/.locks/models--<owner>--<name>/<etag>.lock          flock file (as huggingface_hub)
// plus huggingface_hub 1.x's trees/, .no_exist/ and CACHEDIR.TAG (hub_metadata.hpp) and other
// tools' partials (partials.hpp).
// The filesystem is the truth: nothing here remembers what is present, it looks. Pure filesystem,
// never the network.
#include "core/error.hpp"
#include "core/model/repo_file.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::cache {

// A file that is present in the cache.
struct CachedFile {
    std::filesystem::path snapshot_path; // <repo>/snapshots/<commit>/<path> (what readers open)
    std::filesystem::path blob_path;     // the blob the link resolves to (== snapshot_path for a copy)
    std::uint64_t size = 0;              // bytes of the blob
    std::string commit;                  // snapshot folder the file was found in
    std::string etag;                    // blob name; empty when the snapshot entry is a plain copy
};

// Test hook of the link policy: while refused, Store::publish() and link_mode() act as where the OS
// refuses links (Windows without Developer Mode, Wine), so the degraded cache runs on every OS.
// Process-wide; tests set it back when done (never set outside tests).
void set_links_refused_for_testing(bool refused);
bool links_refused_for_testing();

// Test hook of the publish order: while set, Store::publish/publish_batch call it at each step
// that makes something durable or visible, with the step's name and path: "sync" (a partial's
// data flushed), "rename" (partial -> blobs/<etag>), "sync_dir" (a folder flushed), "link" (a
// snapshot entry created). Process-wide; tests clear it when done (never set outside tests).
using PublishTrace = std::function<void(std::string_view step, const std::filesystem::path& path)>;
void set_publish_trace_for_testing(PublishTrace trace);

// One verified partial of a batch publish, and the file it becomes.
struct PublishItem {
    model::RepoFile file;
    std::filesystem::path partial;
};

class Store {
public:
    explicit Store(std::filesystem::path root);
    const std::filesystem::path& root() const { return m_root; }

    // Path helpers. They do not validate: callers validate repo/path/revision first (names.hpp),
    // the operations below do so themselves.
    std::filesystem::path repo_dir(std::string_view repo) const;
    std::filesystem::path blobs_dir(std::string_view repo) const;
    std::filesystem::path blob_path(std::string_view repo, std::string_view etag) const;
    std::filesystem::path partial_path(std::string_view repo, std::string_view etag) const;
    std::filesystem::path locks_dir(std::string_view repo) const;
    std::filesystem::path lock_path(std::string_view repo, std::string_view etag) const;
    std::filesystem::path snapshot_dir(std::string_view repo, std::string_view commit) const;
    std::filesystem::path snapshot_file_path(std::string_view repo, std::string_view commit,
                                             std::string_view path) const;
    std::filesystem::path ref_path(std::string_view repo, std::string_view revision) const;

    // refs/<revision> -> its commit. nullopt when absent or not exactly a 40-hex commit
    // (surrounding whitespace written by other tools is tolerated).
    std::optional<std::string> read_ref(std::string_view repo, std::string_view revision) const;
    // Atomically (temp + fsync + rename) writes refs/<revision> = commit, no newline. Nested
    // revisions (refs/pr/1) create their folders. INVALID_REPO / BAD_REQUEST on bad input.
    Status write_ref(std::string_view repo, std::string_view revision, std::string_view commit) const;

    // The commit whose snapshot answers `revision`: a commit with a snapshot folder, else what
    // refs/<revision> names. nullopt when neither exists.
    std::optional<std::string> resolve_commit(std::string_view repo, std::string_view revision) const;

    // Present means: the snapshot entry resolves to an existing regular file inside the repo dir.
    // `revision` is a commit, a ref name, or — when the repo has no refs at all, as
    // @huggingface/hub leaves it — the newest snapshot (by folder mtime) holding the file.
    // Broken links, links escaping the repo dir and invalid names are absent, never errors.
    std::optional<CachedFile> find_file(std::string_view repo, std::string_view path,
                                        std::string_view revision = "main") const;

    // Places a finished, already verified download: fsync the partial, rename it to
    // blobs/<etag> (an existing complete blob is kept and the partial dropped), fsync blobs/,
    // then atomically create the relative snapshot link (temp link + rename); where the OS refuses
    // links (Windows without Developer Mode) the blob is moved into the snapshot instead, or copied
    // when it was already there (huggingface_hub's fallback; stats() says "degraded"). Refs are left to
    // write_ref. Errors: INVALID_* on bad names, NOT_FOUND when the partial is missing,
    // INTEGRITY when its size differs from file.size (the partial is left for the caller),
    // DISK_FULL / INTERNAL from the OS. The hash is NOT checked here: the download engine
    // verifies while it transfers, and only verified partials may be published (DESIGN §10).
    Result<CachedFile> publish(std::string_view repo, std::string_view commit,
                               const model::RepoFile& file,
                               const std::filesystem::path& partial) const;

    // publish() for several files of one repo and commit, with each file's guarantee unchanged
    // and the flushes shared (the batch rule, ARCHITECTURE.md "Publishing a batch"): every
    // partial's writeback is started, then each is fsynced; only then are they renamed into
    // blobs/, blobs/ is fsynced once, the snapshot links are made, and each snapshot folder is
    // fsynced once. So no blob or link shows before its bytes are on the disk, and a link never
    // before its blob's rename is. One result per item, in order; an item's error (its size, a
    // missing partial) fails that item alone, a folder's error every item it holds.
    std::vector<Result<CachedFile>> publish_batch(std::string_view repo, std::string_view commit,
                                                  std::span<const PublishItem> items) const;

    // Links snapshots/<commit>/<file.path> to an existing blobs/<file.etag> (a blob shared with
    // another revision or variant). NOT_FOUND when the blob is absent or its size differs.
    Result<CachedFile> link_existing_blob(std::string_view repo, std::string_view commit,
                                          const model::RepoFile& file) const;

    // True when blobs/<etag> is a regular file (of `size` bytes when given).
    bool has_blob(std::string_view repo, std::string_view etag,
                  std::optional<std::uint64_t> size = std::nullopt) const;

private:
    std::optional<CachedFile> inspect_entry(std::string_view repo, std::string_view commit,
                                            std::string_view path) const;
    // The snapshot entry `link` for `blob`: true for a link; false for a copy where links cannot be
    // made (then a `new_blob` is moved into the snapshot, anything else copied: huggingface_hub's way).
    // With `dirs_to_sync`, the link's folder is added there for the caller to fsync once (a
    // batch); without, it is fsynced here.
    Result<bool> create_link(const std::filesystem::path& link, const std::filesystem::path& blob,
                             bool new_blob, std::vector<std::filesystem::path>* dirs_to_sync = nullptr) const;
    Result<CachedFile> placed(const std::filesystem::path& link, const std::filesystem::path& blob,
                              std::string_view commit, const model::RepoFile& file, bool new_blob,
                              std::vector<std::filesystem::path>* dirs_to_sync = nullptr) const;

    std::filesystem::path m_root;
};

} // namespace tabagent::cache
