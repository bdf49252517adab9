#include "core/cache/store.hpp"

#include "core/cache/fs_detail.hpp"
#include "core/cache/partials.hpp"
#include "core/names.hpp"
#include "core/platform/fs.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/fd.hpp"

#include <atomic>

namespace tabagent::cache {
namespace fs = std::filesystem;
using detail::Kind;

namespace {

std::atomic<bool> g_links_refused{false};

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
bool links_refused_for_testing() { return g_links_refused; }

Result<bool> Store::create_link(const fs::path& link, const fs::path& blob, bool new_blob) const {
    auto parent = link.parent_path();
    if (auto made = platform::create_directories(parent); !made) return tl::unexpected(made.error());
    // Relative, like huggingface_hub: the cache stays valid when its root is moved or mounted
    // elsewhere. ../../blobs/<etag> plus one ../ per nested folder.
    auto target = blob.lexically_relative(parent);
    if (auto existing = platform::read_symlink(link); existing && *existing == target.generic_string()) return true;
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
        if (auto st = util::fsync_directory(parent); !st) return tl::unexpected(st.error());
        return false;
    }
    if (auto renamed = platform::rename_replace(tmp, link); !renamed) {
        (void)platform::remove_file(tmp);
        return tl::unexpected(renamed.error());
    }
    if (auto st = util::fsync_directory(parent); !st) return tl::unexpected(st.error());
    return true;
}

Result<CachedFile> Store::publish(std::string_view repo, std::string_view commit,
                                  const model::RepoFile& file, const fs::path& partial) const {
    if (auto st = validate_all(repo, commit, file); !st) return tl::unexpected(st.error());
    auto blob = blob_path(repo, file.etag);
    {
        auto fd = util::UniqueFd::open_read(partial);
        if (!fd) return tl::unexpected(fd.error());
        auto size = fd->size();
        if (!size) return tl::unexpected(size.error());
        if (*size != file.size)
            return fail(ErrorCode::integrity, "partial download has the wrong size",
                        {{"file", file.path}, {"expected", file.size}, {"actual", *size}});
        // Flush the data before the rename makes it visible: a crash must never leave a
        // complete-looking blob with holes.
        if (auto st = fd->sync(); !st) return tl::unexpected(st.error());
    }
    if (auto made = platform::create_directories(blobs_dir(repo)); !made) return tl::unexpected(made.error());
    auto existing = detail::lstat_path(blob);
    const bool new_blob = !(existing && existing->kind == Kind::regular && existing->size == file.size);
    if (!new_blob) {
        // Another writer (or revision) got there first; both are verified, keep the old one.
        (void)platform::remove_file(partial);
    } else if (auto renamed = platform::rename_replace(partial, blob); !renamed) {
        return tl::unexpected(renamed.error());
    }
    if (auto st = util::fsync_directory(blobs_dir(repo)); !st) return tl::unexpected(st.error());
    auto link = snapshot_file_path(repo, commit, file.path);
    return placed(link, blob, commit, file, new_blob);
}

Result<CachedFile> Store::placed(const fs::path& link, const fs::path& blob, std::string_view commit,
                                 const model::RepoFile& file, bool new_blob) const {
    auto linked = create_link(link, blob, new_blob);
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
