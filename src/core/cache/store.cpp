#include "core/cache/store.hpp"

#include "core/cache/fs_detail.hpp"
#include "core/cache/partials.hpp"
#include "core/names.hpp"
#include "core/platform/fs.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/fd.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

namespace tabagent::cache {
namespace fs = std::filesystem;
using detail::Kind;

namespace {

std::atomic<bool> g_links_refused{false};

std::mutex g_trace_mutex;
PublishTrace g_trace; // guarded by g_trace_mutex; empty outside tests
std::atomic<bool> g_tracing{false};

void trace(std::string_view step, const fs::path& path) {
    if (!g_tracing.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(g_trace_mutex);
    if (g_trace) g_trace(step, path);
}

Status sync_directory_traced(const fs::path& dir) {
    auto st = util::fsync_directory(dir);
    if (st) trace("sync_dir", dir);
    return st;
}

Status validate_etag(std::string_view etag) {
    if (!detail::is_safe_name(etag) || etag.find(".incomplete") != std::string_view::npos)
        return fail(ErrorCode::bad_request, "invalid etag", {{"etag", std::string(etag.substr(0, 100))}});
    return {};
}

Status validate_commit(std::string_view commit) {
    if (!is_commit_hash(commit))
        return fail(ErrorCode::bad_request, "commit must be 40 lower-case hex characters",
                    {{"commit", std::string(commit.substr(0, 100))}});
    return {};
}

Status validate_all(std::string_view repo, std::string_view commit, const model::RepoFile& file) {
    if (auto st = validate_repo(repo); !st) return st;
    if (auto st = validate_commit(commit); !st) return st;
    if (auto st = validate_file_path(file.path); !st) return st;
    return validate_etag(file.etag);
}

std::string trim(std::string s) {
    auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    while (!s.empty() && is_space(s.back())) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && is_space(s[i])) ++i;
    return s.substr(i);
}

// Real location check: the kernel's view of `p` must be inside the repo's real directory and
// agree with the lexical view, so a symlinked sub-folder cannot smuggle a foreign file in.
bool really_inside(const fs::path& repo_dir, const fs::path& entry, const fs::path& lexical) {
    auto real_repo = platform::canonical(repo_dir);
    if (!real_repo) return false;
    auto real_entry = platform::canonical(entry);
    if (!real_entry) return false;
    if (!detail::lexically_within(*real_repo, *real_entry)) return false;
    auto real_lexical = platform::canonical(lexical);
    return real_lexical && *real_lexical == *real_entry;
}

} // namespace

Store::Store(fs::path root) : m_root(std::move(root)) {}

fs::path Store::repo_dir(std::string_view repo) const { return m_root / repo_folder_name(repo); }
fs::path Store::blobs_dir(std::string_view repo) const { return repo_dir(repo) / "blobs"; }
fs::path Store::blob_path(std::string_view repo, std::string_view etag) const {
    return blobs_dir(repo) / std::string(etag);
}
fs::path Store::partial_path(std::string_view repo, std::string_view etag) const {
    return blobs_dir(repo) / (std::string(etag) + ".incomplete");
}
fs::path Store::locks_dir(std::string_view repo) const {
    return m_root / ".locks" / repo_folder_name(repo);
}
fs::path Store::lock_path(std::string_view repo, std::string_view etag) const {
    return locks_dir(repo) / (std::string(etag) + ".lock");
}
fs::path Store::snapshot_dir(std::string_view repo, std::string_view commit) const {
    return repo_dir(repo) / "snapshots" / std::string(commit);
}
fs::path Store::snapshot_file_path(std::string_view repo, std::string_view commit,
                                   std::string_view path) const {
    return snapshot_dir(repo, commit) / platform::u8path(path); // UTF-8 on every platform
}
fs::path Store::ref_path(std::string_view repo, std::string_view revision) const {
    return repo_dir(repo) / "refs" / std::string(revision);
}

std::optional<std::string> Store::read_ref(std::string_view repo, std::string_view revision) const {
    if (!validate_repo(repo) || !validate_revision(revision)) return std::nullopt;
    auto path = ref_path(repo, revision);
    auto st = detail::lstat_path(path);
    if (!st || st->kind != Kind::regular || st->size > 4096) return std::nullopt;
    auto text = util::read_file_shared(path);
    if (!text) return std::nullopt;
    auto commit = trim(std::move(*text));
    if (!is_commit_hash(commit)) return std::nullopt;
    return commit;
}

Status Store::write_ref(std::string_view repo, std::string_view revision, std::string_view commit) const {
    if (auto st = validate_repo(repo); !st) return st;
    if (auto st = validate_revision(revision); !st) return st;
    if (auto st = validate_commit(commit); !st) return st;
    auto path = ref_path(repo, revision);
    if (auto made = platform::create_directories(path.parent_path()); !made) return made;
    // A ref names the snapshot every reader resolves: it must survive a power cut once written
    // (huggingface_hub reads it too), so both the file and the rename are flushed.
    return util::write_file_atomically(path, commit, {.durability = util::Durability::file_and_directory});
}

std::optional<std::string> Store::resolve_commit(std::string_view repo, std::string_view revision) const {
    if (!validate_repo(repo) || !validate_revision(revision)) return std::nullopt;
    if (is_commit_hash(revision)) {
        auto st = detail::lstat_path(snapshot_dir(repo, revision));
        if (st && st->kind == Kind::directory) return std::string(revision);
    }
    return read_ref(repo, revision);
}

std::optional<CachedFile> Store::inspect_entry(std::string_view repo, std::string_view commit,
                                               std::string_view path) const {
    auto dir = repo_dir(repo);
    auto entry = snapshot_file_path(repo, commit, path);
    auto st = detail::lstat_path(entry);
    if (!st) return std::nullopt;
    CachedFile out;
    out.snapshot_path = entry;
    out.commit = std::string(commit);
    if (st->kind == Kind::regular) {
        // llama.cpp without symlinks downloads into the snapshot path + ".downloadInProgress"
        // (partials.hpp): unfinished, never a file of the repo (the scan agrees).
        if (path.ends_with(k_llama_partial_suffix)) return std::nullopt;
        // A copy (filesystems without symlinks, e.g. huggingface_hub on Windows without developer mode).
        if (!really_inside(dir, entry, entry)) return std::nullopt;
        out.blob_path = entry;
        out.size = st->size;
        return out;
    }
    if (st->kind != Kind::symlink) return std::nullopt;
    auto target = platform::read_symlink(entry);
    if (!target) return std::nullopt;
    auto blob = detail::resolve_link_lexically(entry, fs::path(*target));
    // Security: never follow a link out of the repo dir, whatever it points at.
    if (!detail::lexically_within(dir, blob)) return std::nullopt;
    auto bst = detail::lstat_path(blob);
    if (!bst || bst->kind != Kind::regular) return std::nullopt; // missing blob = absent
    if (!really_inside(dir, entry, blob)) return std::nullopt;
    out.blob_path = blob;
    out.size = bst->size;
    out.etag = blob.filename().string();
    return out;
}

std::optional<CachedFile> Store::find_file(std::string_view repo, std::string_view path,
                                           std::string_view revision) const {
    if (!validate_repo(repo) || !validate_file_path(path) || !validate_revision(revision))
        return std::nullopt;
    if (auto commit = resolve_commit(repo, revision)) return inspect_entry(repo, *commit, path);

    // No answer from a commit or a ref. A cache with no refs at all (written by
    // @huggingface/hub, which also files each file under its own last commit) is searched
    // newest snapshot first.
    std::error_code ec;
    auto refs = repo_dir(repo) / "refs";
    if (fs::exists(refs, ec) && !fs::is_empty(refs, ec)) return std::nullopt;
    auto snapshots = repo_dir(repo) / "snapshots";
    std::optional<CachedFile> best;
    detail::TimePoint best_time{};
    for (fs::directory_iterator it(snapshots, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (!is_commit_hash(name)) continue;
        auto st = detail::lstat_path(it->path());
        if (!st || st->kind != Kind::directory) continue;
        if (best && st->mtime <= best_time) continue;
        if (auto found = inspect_entry(repo, name, path)) {
            best = std::move(found);
            best_time = st->mtime;
        }
    }
    return best;
}

bool Store::has_blob(std::string_view repo, std::string_view etag, std::optional<std::uint64_t> size) const {
    if (!validate_repo(repo) || !validate_etag(etag)) return false;
    auto st = detail::lstat_path(blob_path(repo, etag));
    return st && st->kind == Kind::regular && (!size || st->size == *size);
}

void set_links_refused_for_testing(bool refused) { g_links_refused = refused; }
void set_publish_trace_for_testing(PublishTrace t) {
    std::lock_guard lock(g_trace_mutex);
    g_trace = std::move(t);
    g_tracing = static_cast<bool>(g_trace);
}
bool links_refused_for_testing() { return g_links_refused; }

Result<bool> Store::create_link(const fs::path& link, const fs::path& blob, bool new_blob,
                                std::vector<fs::path>* dirs_to_sync) const {
    auto parent = link.parent_path();
    if (auto made = platform::create_directories(parent); !made) return tl::unexpected(made.error());
    // Relative, like huggingface_hub: the cache stays valid when its root is moved or mounted
    // elsewhere. ../../blobs/<etag> plus one ../ per nested folder.
    auto target = blob.lexically_relative(parent);
    if (auto existing = platform::read_symlink(link); existing && *existing == target.generic_string()) return true;
    auto sync_parent = [&]() -> Status {
        if (dirs_to_sync == nullptr) return sync_directory_traced(parent);
        if (std::find(dirs_to_sync->begin(), dirs_to_sync->end(), parent) == dirs_to_sync->end())
            dirs_to_sync->push_back(parent);
        return {};
    };
    auto tmp = detail::temp_sibling(link);
    (void)platform::remove_file(tmp);
    auto made = g_links_refused ? Result<platform::LinkResult>(platform::LinkResult::unsupported)
                                : platform::create_symlink(target, tmp);
    if (!made) return tl::unexpected(made.error());
    if (*made == platform::LinkResult::unsupported) {
        // No links for this user here (Windows without Developer Mode, a FAT disk): what
        // huggingface_hub's _create_symlink does then (file_download.py): a new blob is moved into the
        // snapshot, an existing one (perhaps shared with another snapshot) copied.
        if (new_blob) {
            if (auto moved = platform::rename_replace(blob, link); !moved) return tl::unexpected(moved.error());
        } else {
            auto copied = platform::copy_file(blob, tmp);
            if (copied) copied = platform::rename_replace(tmp, link);
            if (!copied) {
                (void)platform::remove_file(tmp);
                return tl::unexpected(copied.error());
            }
        }
        trace("link", link);
        if (auto st = sync_parent(); !st) return tl::unexpected(st.error());
        return false;
    }
    if (auto renamed = platform::rename_replace(tmp, link); !renamed) {
        (void)platform::remove_file(tmp);
        return tl::unexpected(renamed.error());
    }
    trace("link", link);
    if (auto st = sync_parent(); !st) return tl::unexpected(st.error());
    return true;
}

Result<CachedFile> Store::publish(std::string_view repo, std::string_view commit,
                                  const model::RepoFile& file, const fs::path& partial) const {
    const PublishItem item{file, partial};
    return std::move(publish_batch(repo, commit, std::span<const PublishItem>(&item, 1)).front());
}

namespace {
// One result per item of a batch; `ok` says which items are still going.
struct Batch {
    explicit Batch(std::size_t n)
        : out(n, tl::unexpected(Error{ErrorCode::internal, "not published"})), ok(n, false) {}
    void fail(std::size_t i, Error error) {
        out[i] = tl::unexpected(std::move(error));
        ok[i] = false;
    }
    void fail_all(const Error& error) {
        for (std::size_t i = 0; i < ok.size(); ++i)
            if (ok[i]) fail(i, error);
    }
    bool any() const { return std::find(ok.begin(), ok.end(), true) != ok.end(); }
    std::vector<Result<CachedFile>> out;
    std::vector<bool> ok;
};

// Step 1 of a batch: every partial checked and its writeback started, so the disk works on all of
// them at once; then each flushed. Before any rename: a crash must never leave a complete-looking
// blob with holes. On a journaled file system the first fsync commits the journal and the others
// mostly find their blocks already written (one commit per batch, not per file).
void flush_partials(std::string_view repo, std::string_view commit, std::span<const PublishItem> items,
                    Batch& batch) {
    std::vector<util::UniqueFd> fds(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& file = items[i].file;
        if (auto st = validate_all(repo, commit, file); !st) {
            batch.fail(i, st.error());
            continue;
        }
        auto fd = util::UniqueFd::open_read(items[i].partial);
        auto size = fd ? fd->size() : Result<std::uint64_t>(tl::unexpected(fd.error()));
        if (!size) {
            batch.fail(i, size.error());
            continue;
        }
        if (*size != file.size) { // the partial is left for the caller
            batch.fail(i, Error{ErrorCode::integrity, "partial download has the wrong size",
                                {{"file", file.path}, {"expected", file.size}, {"actual", *size}}});
            continue;
        }
        fd->start_writeback(0, *size);
        fds[i] = std::move(*fd);
        batch.ok[i] = true;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!batch.ok[i]) continue;
        if (auto st = fds[i].sync(); !st) batch.fail(i, st.error());
        else trace("sync", items[i].partial);
        fds[i].reset();
    }
}
} // namespace

std::vector<Result<CachedFile>> Store::publish_batch(std::string_view repo, std::string_view commit,
                                                     std::span<const PublishItem> items) const {
    Batch batch(items.size());
    flush_partials(repo, commit, items, batch);
    if (!batch.any()) return std::move(batch.out);

    // 2. The renames into blobs/, then blobs/ flushed once: every rename is durable before any
    // link to it is made.
    if (auto made = platform::create_directories(blobs_dir(repo)); !made) {
        batch.fail_all(made.error());
        return std::move(batch.out);
    }
    std::vector<bool> new_blob(items.size(), false);
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!batch.ok[i]) continue;
        auto blob = blob_path(repo, items[i].file.etag);
        auto existing = detail::lstat_path(blob);
        new_blob[i] = !(existing && existing->kind == Kind::regular && existing->size == items[i].file.size);
        if (!new_blob[i]) {
            // Another writer (or revision, or an earlier item of this batch) got there first; both
            // are verified, keep the old one.
            (void)platform::remove_file(items[i].partial);
        } else if (auto renamed = platform::rename_replace(items[i].partial, blob); !renamed) {
            batch.fail(i, renamed.error());
        } else {
            trace("rename", blob);
        }
    }
    if (auto st = sync_directory_traced(blobs_dir(repo)); !st) {
        batch.fail_all(st.error());
        return std::move(batch.out);
    }

    // 3. The snapshot links, then each of their folders flushed once.
    std::vector<fs::path> dirs;
    std::vector<fs::path> link_dir(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!batch.ok[i]) continue;
        auto link = snapshot_file_path(repo, commit, items[i].file.path);
        auto linked = placed(link, blob_path(repo, items[i].file.etag), commit, items[i].file, new_blob[i], &dirs);
        if (!linked) batch.fail(i, linked.error());
        else batch.out[i] = std::move(*linked);
        link_dir[i] = link.parent_path();
    }
    for (const auto& dir : dirs)
        if (auto st = sync_directory_traced(dir); !st)
            for (std::size_t i = 0; i < items.size(); ++i)
                if (batch.ok[i] && link_dir[i] == dir) batch.fail(i, st.error());
    return std::move(batch.out);
}

Result<CachedFile> Store::placed(const fs::path& link, const fs::path& blob, std::string_view commit,
                                 const model::RepoFile& file, bool new_blob, std::vector<fs::path>* dirs_to_sync) const {
    auto linked = create_link(link, blob, new_blob, dirs_to_sync);
    if (!linked) return tl::unexpected(linked.error());
    // A copy is its own blob, as find_file() reports it.
    if (!*linked) return CachedFile{link, link, file.size, std::string(commit), {}};
    return CachedFile{link, blob, file.size, std::string(commit), file.etag};
}

Result<CachedFile> Store::link_existing_blob(std::string_view repo, std::string_view commit,
                                             const model::RepoFile& file) const {
    if (auto st = validate_all(repo, commit, file); !st) return tl::unexpected(st.error());
    auto blob = blob_path(repo, file.etag);
    if (!has_blob(repo, file.etag, file.size))
        return fail(ErrorCode::not_found, "blob is not in the cache",
                    {{"file", file.path}, {"etag", file.etag}});
    return placed(snapshot_file_path(repo, commit, file.path), blob, commit, file, false);
}

} // namespace tabagent::cache
