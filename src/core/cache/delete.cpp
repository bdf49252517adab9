#include "core/cache/delete.hpp"

#include "core/cache/fs_detail.hpp"
#include "core/cache/scan.hpp"
#include "core/cache/store.hpp"
#include "core/names.hpp"
#include "core/platform/fs.hpp"
#include "core/util/fd.hpp"

#include <set>

namespace tabagent::cache {
namespace fs = std::filesystem;
using detail::Kind;

namespace {

// Bytes of the regular files below `dir`, not following links.
std::uint64_t regular_bytes(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
        if (it->is_symlink(ec)) continue;
        if (auto st = detail::lstat_path(it->path()); st && st->kind == Kind::regular) total += st->size;
    }
    return total;
}

// Removes empty folders from `dir` up to (not including) `stop`.
void prune_empty(fs::path dir, const fs::path& stop) {
    std::error_code ec;
    while (dir != stop && detail::lexically_within(stop, dir)) {
        if (!fs::is_empty(dir, ec) || ec) return;
        if (!platform::remove_empty_dir(dir)) return;
        dir = dir.parent_path();
    }
}

Status remove_tree(const fs::path& path) {
    // A link is removed as a link, never its target's content: asked first through the seam, since
    // libstdc++'s remove_all on Windows cannot tell a directory link from a folder.
    if (auto st = detail::lstat_path(path); st && st->kind == Kind::symlink) {
        auto removed = platform::remove_file(path);
        if (!removed) return tl::unexpected(removed.error());
        return {};
    }
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) return tl::unexpected(util::fs_error(ec, "cannot remove", path));
    return {};
}

} // namespace

Result<std::uint64_t> delete_repo(const fs::path& root, std::string_view repo) {
    if (auto st = validate_repo(repo); !st) return tl::unexpected(st.error());
    Store store(root);
    auto dir = store.repo_dir(repo);
    auto st = detail::lstat_path(dir);
    if (!st) return fail(ErrorCode::not_found, "model is not in the cache", {{"repo", std::string(repo)}});
    std::uint64_t freed = 0;
    if (st->kind == Kind::directory) freed = regular_bytes(dir);
    // A repo folder that is itself a symlink (moved to another disk) is unlinked, not emptied.
    if (auto removed = remove_tree(dir); !removed) return tl::unexpected(removed.error());
    std::error_code ec;
    fs::remove_all(store.locks_dir(repo), ec);
    return freed;
}

Result<std::uint64_t> delete_files(const fs::path& root, std::string_view repo,
                                   const std::vector<std::string>& paths) {
    if (auto st = validate_repo(repo); !st) return tl::unexpected(st.error());
    for (const auto& p : paths)
        if (auto st = validate_file_path(p); !st) return tl::unexpected(st.error());
    auto before = scan_repo(root, repo);
    if (!before) return fail(ErrorCode::not_found, "model is not in the cache", {{"repo", std::string(repo)}});

    const std::set<std::string> wanted(paths.begin(), paths.end());
    const auto snapshots_dir = before->dir / "snapshots";
    std::set<std::string> candidate_blobs;
    std::uint64_t freed = 0;
    for (const auto& rev : before->revisions) {
        auto snap = snapshots_dir / rev.commit;
        for (const auto& file : rev.files) {
            if (!wanted.count(file.path)) continue;
            auto entry = snap / platform::u8path(file.path);
            auto st = detail::lstat_path(entry);
            if (!st || st->kind == Kind::directory) continue;
            if (auto removed = platform::remove_file(entry); !removed) return tl::unexpected(removed.error());
            if (file.is_copy) freed += st->size;
            else if (!file.etag.empty()) candidate_blobs.insert(file.etag);
            prune_empty(entry.parent_path(), snapshots_dir);
        }
    }

    // Whatever still links to a blob keeps it: other variants share e.g. tokenizer files, and
    // other revisions share unchanged weights.
    auto after = scan_repo(root, repo);
    std::set<std::string> referenced;
    bool any_entry = false;
    if (after)
        for (const auto& rev : after->revisions)
            for (const auto& file : rev.files) {
                any_entry = true;
                if (!file.etag.empty()) referenced.insert(file.etag);
            }
    const auto blobs_dir = before->dir / "blobs";
    for (const auto& etag : candidate_blobs) {
        if (referenced.count(etag) || !detail::is_safe_name(etag)) continue;
        auto blob = blobs_dir / etag;
        auto st = detail::lstat_path(blob);
        if (!st || st->kind != Kind::regular) continue;
        if (auto removed = platform::remove_file(blob); !removed) return tl::unexpected(removed.error());
        freed += st->size;
    }

    after = scan_repo(root, repo);
    if (after && !any_entry && after->blobs.empty() && after->partials.empty()) {
        // Nothing of the model is left: remove the empty shell so `list` forgets it.
        if (auto st = remove_tree(after->dir); !st) return tl::unexpected(st.error());
        std::error_code ec;
        fs::remove_all(Store(root).locks_dir(repo), ec);
    }
    return freed;
}

} // namespace tabagent::cache
