#include "core/cache/scan.hpp"

#include "core/cache/fs_detail.hpp"
#include "core/names.hpp"
#include "core/platform/fs.hpp"
#include "core/util/atomic_file.hpp"

#include <algorithm>
#include <set>

namespace tabagent::cache {
namespace fs = std::filesystem;
using detail::Kind;

// Performance note: this walk is the hot path of `list`, `stats` and `clean`. It works on
// open folders (platform::Directory: openat / fstatat / readlinkat on POSIX, so the kernel never
// re-walks long paths; FindFirstFileExW with large fetches on Windows), keeps
// paths as strings, and resolves the usual link text "../../blobs/<etag>" by pattern, falling
// back to lexical normalisation only for unusual links.
namespace {

constexpr std::size_t k_max_warnings_per_repo = 50;

class Warnings {
public:
    explicit Warnings(std::vector<std::string>& out) : m_out(out) {}
    ~Warnings() {
        if (m_dropped > 0) m_out.push_back(std::to_string(m_dropped) + " more warnings not shown");
    }
    Warnings(const Warnings&) = delete;
    Warnings& operator=(const Warnings&) = delete;
    void add(std::string text) {
        if (m_out.size() < k_max_warnings_per_repo) m_out.push_back(std::move(text));
        else ++m_dropped;
    }
    void cannot_read(const std::string& path, const Error& err) { add("cannot read " + path + ": " + err.message); }

private:
    std::vector<std::string>& m_out;
    std::size_t m_dropped = 0;
};

using Entry = platform::DirEntry;
using platform::Directory;

bool not_found(const Error& error) { return error.code == ErrorCode::not_found; }

// A writer's temp link (Store::create_link) or temp ref (util::write_file_atomically).
bool is_temp(std::string_view name) {
    return name.substr(0, detail::k_temp_prefix.size()) == detail::k_temp_prefix || util::is_atomic_temp_name(name);
}

std::optional<std::string> read_small(const Directory& dir, const std::string& name) {
    auto text = dir.read_child(name, 128);
    if (!text) return std::nullopt;
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r' || text->back() == ' ')) text->pop_back();
    return text;
}

// Calls visit(dir, name, relative_path, kind) for every non-directory below the open folder
// `dir`, recursing into real folders only (never through a symlinked folder).
template <class Visit>
void walk(const Directory& dir, const std::string& dir_path, const std::string& prefix, Warnings& warnings,
          Visit&& visit) {
    std::vector<Entry> entries;
    if (auto listed = dir.list(entries); !listed) warnings.cannot_read(dir_path, listed.error());
    for (const auto& e : entries) {
        if (is_temp(e.name)) continue;
        auto rel = prefix.empty() ? e.name : prefix + "/" + e.name;
        if (e.kind == Kind::directory) {
            auto sub = dir.open_child(e.name);
            if (!sub) warnings.cannot_read(dir_path + "/" + e.name, sub.error());
            else walk(*sub, dir_path + "/" + e.name, rel, warnings, visit);
        } else {
            visit(dir, e.name, rel, e.kind);
        }
    }
}

// The etag a snapshot link at depth `depth` (0 = directly in snapshots/<commit>/) points at when
// its text has the canonical shape "../" * (depth + 2) + "blobs/<etag>".
std::optional<std::string_view> canonical_link_etag(std::string_view target, std::size_t depth) {
    for (std::size_t i = 0; i < depth + 2; ++i) {
        if (target.substr(0, 3) != "../") return std::nullopt;
        target.remove_prefix(3);
    }
    if (target.substr(0, 6) != "blobs/") return std::nullopt;
    target.remove_prefix(6);
    if (!detail::is_safe_name(target)) return std::nullopt;
    return target;
}

void scan_refs(ScannedRepo& repo, const Directory& repo_dir, Warnings& warnings) {
    auto dir = repo_dir.open_child("refs");
    if (!dir) {
        if (!not_found(dir.error())) warnings.cannot_read(repo.dir.string() + "/refs", dir.error());
        return;
    }
    walk(*dir, repo.dir.string() + "/refs", "", warnings,
         [&](const Directory& parent, const std::string& name, const std::string& rel, Kind kind) {
             auto path = repo.dir.string() + "/refs/" + rel;
             if (kind != Kind::regular) {
                 warnings.add("not a ref file: " + path);
                 return;
             }
             auto commit = read_small(parent, name);
             if (!commit || !is_commit_hash(*commit)) {
                 warnings.add("ref does not hold a commit hash: " + path);
                 return;
             }
             repo.refs[rel] = *commit;
         });
}

void scan_blobs(ScannedRepo& repo, const Directory& repo_dir, Warnings& warnings) {
    const auto blobs_path = repo.dir.string() + "/blobs";
    auto dir = repo_dir.open_child("blobs");
    if (!dir) {
        if (!not_found(dir.error())) warnings.cannot_read(blobs_path, dir.error());
        return;
    }
    std::vector<Entry> entries;
    if (auto listed = dir->list(entries); !listed) warnings.cannot_read(blobs_path, listed.error());
    for (const auto& e : entries) {
        const auto& name = e.name;
        auto st = dir->lstat_child(name);
        if (!st) continue; // vanished meanwhile
        if (auto partial = parse_partial_name(name); partial && st->kind == Kind::regular) {
            repo.partials.push_back({partial->etag, "blobs/" + name, partial->kind, st->size, st->mtime});
            repo.partial_bytes += st->size;
            continue;
        }
        // Blob names are etags (hex). Anything dotted is a side file of some writer: our
        // journals, another tool's lock or etag file. Not content, not a warning.
        if (name.find('.') != std::string::npos || is_partial_side_file(name)) continue;
        if (st->kind != Kind::regular) {
            warnings.add("not a regular blob: " + blobs_path + "/" + name);
            continue;
        }
        repo.blobs.emplace(name, ScannedBlob{st->size, st->atime, st->mtime, 0});
        repo.size_on_disk += st->size;
        repo.last_accessed = std::max(repo.last_accessed, st->atime);
        repo.last_modified = std::max(repo.last_modified, st->mtime);
    }
}

void scan_snapshot(ScannedRepo& repo, ScannedRevision& rev, const Directory& snap_dir, Warnings& warnings,
                   std::set<std::string>& present_paths) {
    const auto snap_path = repo.dir.string() + "/snapshots/" + rev.commit;
    const auto blobs_dir = repo.dir / "blobs";
    std::set<std::string_view> counted;
    walk(snap_dir, snap_path, "", warnings, [&](const Directory& dir, const std::string& name, const std::string& rel,
                                                Kind kind) {
        ScannedFile file;
        file.path = rel;
        if (kind == Kind::regular && name.ends_with(k_llama_partial_suffix)) {
            // llama.cpp without symlinks downloads into the snapshot path itself.
            if (auto st = dir.lstat_child(name)) {
                repo.partials.push_back(
                    {"", "snapshots/" + rev.commit + "/" + rel, PartialKind::llama_cpp, st->size, st->mtime});
                repo.partial_bytes += st->size;
            }
            return;
        }
        if (kind == Kind::regular) {
            auto st = dir.lstat_child(name);
            if (!st) return;
            file.is_copy = file.present = true;
            file.size = st->size;
            repo.size_on_disk += st->size; // a copy is its own storage
            rev.size += st->size;
            repo.last_accessed = std::max(repo.last_accessed, st->atime);
        } else if (kind == Kind::symlink) {
            auto target = dir.read_link_child(name);
            if (!target) return;
            auto depth = static_cast<std::size_t>(std::count(rel.begin(), rel.end(), '/'));
            std::string etag;
            bool escaped = false;
            if (auto fast = canonical_link_etag(*target, depth)) {
                etag = std::string(*fast);
            } else {
                // Unusual text (absolute link, odd ../ count): resolve lexically, never follow.
                auto link = platform::u8path(snap_path) / platform::u8path(rel);
                auto resolved = detail::resolve_link_lexically(link, *target);
                if (!detail::lexically_within(repo.dir, resolved)) {
                    escaped = true;
                    warnings.add("link points outside the repo (ignored): " + link.string());
                } else if (resolved.parent_path() == blobs_dir) {
                    etag = resolved.filename().string();
                }
            }
            file.etag = etag;
            auto blob = etag.empty() ? repo.blobs.end() : repo.blobs.find(etag);
            if (blob != repo.blobs.end()) {
                file.present = true;
                file.size = blob->second.size;
                ++blob->second.links;
                if (counted.insert(blob->first).second) rev.size += file.size;
            } else if (!escaped) {
                warnings.add("broken link: " + snap_path + "/" + rel);
            }
        } else {
            warnings.add("unexpected entry in snapshot: " + snap_path + "/" + rel);
            return;
        }
        if (file.present) present_paths.insert(file.path);
        rev.files.push_back(std::move(file));
    });
    std::sort(rev.files.begin(), rev.files.end(),
              [](const ScannedFile& a, const ScannedFile& b) { return a.path < b.path; });
}

void scan_snapshots(ScannedRepo& repo, const Directory& repo_dir, Warnings& warnings,
                    std::set<std::string>& present_paths) {
    const auto snapshots_path = repo.dir.string() + "/snapshots";
    auto dir = repo_dir.open_child("snapshots");
    if (!dir) {
        if (!not_found(dir.error())) warnings.cannot_read(snapshots_path, dir.error());
        return;
    }
    std::vector<Entry> entries;
    if (auto listed = dir->list(entries); !listed) warnings.cannot_read(snapshots_path, listed.error());
    for (const auto& e : entries) {
        if (e.kind != Kind::directory || !is_commit_hash(e.name)) {
            warnings.add("not a snapshot folder: " + snapshots_path + "/" + e.name);
            continue;
        }
        auto snap_dir = dir->open_child(e.name);
        if (!snap_dir) {
            warnings.cannot_read(snapshots_path + "/" + e.name, snap_dir.error());
            continue;
        }
        ScannedRevision rev;
        rev.commit = e.name;
        if (auto st = dir->lstat_child(e.name)) rev.last_modified = st->mtime;
        scan_snapshot(repo, rev, *snap_dir, warnings, present_paths);
        repo.last_modified = std::max(repo.last_modified, rev.last_modified);
        repo.revisions.push_back(std::move(rev));
    }
}

ScannedRepo scan_repo_dir(const fs::path& dir, std::string repo_id) {
    ScannedRepo repo;
    repo.repo = std::move(repo_id);
    repo.dir = dir.lexically_normal();
    Warnings warnings(repo.warnings);
    // The repo folder itself may be a symlink (moved to another disk): follow that one.
    auto repo_dir = Directory::open(repo.dir);
    if (!repo_dir) {
        warnings.cannot_read(repo.dir.string(), repo_dir.error());
        return repo;
    }
    scan_refs(repo, *repo_dir, warnings);
    scan_blobs(repo, *repo_dir, warnings);
    std::set<std::string> present_paths;
    scan_snapshots(repo, *repo_dir, warnings, present_paths);
    repo.file_count = present_paths.size();
    for (auto& rev : repo.revisions)
        for (const auto& [name, commit] : repo.refs)
            if (commit == rev.commit) rev.refs.push_back(name);
    std::sort(repo.revisions.begin(), repo.revisions.end(), [](const ScannedRevision& a, const ScannedRevision& b) {
        return a.last_modified != b.last_modified ? a.last_modified > b.last_modified : a.commit < b.commit;
    });
    if (repo.last_accessed == TimePoint{}) {
        if (auto st = detail::stat_path(repo.dir)) repo.last_accessed = st->mtime;
    }
    if (repo.last_modified == TimePoint{}) repo.last_modified = repo.last_accessed;
    return repo;
}

fs::path absolute_root(const fs::path& root) {
    std::error_code ec;
    auto abs = fs::absolute(root, ec);
    return (ec ? root : abs).lexically_normal();
}

} // namespace

std::optional<ScannedRepo> scan_repo(const fs::path& root, std::string_view repo) {
    if (!validate_repo(repo)) return std::nullopt;
    auto dir = absolute_root(root) / repo_folder_name(repo);
    auto st = detail::stat_path(dir);
    if (!st || st->kind != Kind::directory) return std::nullopt;
    return scan_repo_dir(dir, std::string(repo));
}

CacheScan scan_cache(const fs::path& root_in) {
    CacheScan scan;
    scan.root = absolute_root(root_in);
    auto root_dir = Directory::open(scan.root);
    if (!root_dir) {
        if (!not_found(root_dir.error())) // no cache yet: empty, not an error
            scan.warnings.push_back("cannot read cache root " + scan.root.string() + ": " + root_dir.error().message);
        return scan;
    }
    std::vector<Entry> entries;
    if (auto listed = root_dir->list(entries); !listed)
        scan.warnings.push_back("cannot read cache root " + scan.root.string() + ": " + listed.error().message);
    for (const auto& e : entries) {
        const auto& name = e.name;
        if (name.front() == '.') continue; // .locks, editors' and tools' dot files
        if (name.rfind("datasets--", 0) == 0 || name.rfind("spaces--", 0) == 0) continue;
        if (name == "version.txt" || name == "CACHEDIR.TAG") continue;
        auto repo_id = detail::repo_from_folder(name);
        auto path = scan.root / name;
        bool is_dir = e.kind == Kind::directory;
        if (e.kind == Kind::symlink)
            if (auto st = detail::stat_path(path)) is_dir = st->kind == Kind::directory;
        if (!repo_id || !is_dir) {
            scan.warnings.push_back("not a model folder (skipped): " + path.string());
            continue;
        }
        auto repo = scan_repo_dir(path, std::move(*repo_id));
        for (const auto& w : repo.warnings) scan.warnings.push_back(repo.repo + ": " + w);
        scan.size_on_disk += repo.size_on_disk;
        scan.partial_bytes += repo.partial_bytes;
        scan.repos.push_back(std::move(repo));
    }
    std::sort(scan.repos.begin(), scan.repos.end(),
              [](const ScannedRepo& a, const ScannedRepo& b) { return a.repo < b.repo; });
    return scan;
}

} // namespace tabagent::cache
