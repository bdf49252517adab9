#include "core/cache/scan.hpp"

#include "core/cache/fs_detail.hpp"
#include "core/names.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace tabagent::cache {
namespace fs = std::filesystem;
using detail::Kind;

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

private:
    std::vector<std::string>& m_out;
    std::size_t m_dropped = 0;
};

fs::file_type entry_type(const fs::directory_entry& entry) {
    std::error_code ec;
    auto type = entry.symlink_status(ec).type(); // d_type when the filesystem gives it: no syscall
    return ec ? fs::file_type::none : type;
}

// Calls `visit(relative_path, entry, type)` for every non-directory below `dir`, recursing into
// real directories only (never through a symlinked folder).
void walk(const fs::path& dir, const std::string& prefix, Warnings& warnings,
          const std::function<void(const std::string&, const fs::directory_entry&, fs::file_type)>& visit) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        warnings.add("cannot read " + dir.string() + ": " + ec.message());
        return;
    }
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) {
            warnings.add("cannot read " + dir.string() + ": " + ec.message());
            return;
        }
        auto name = it->path().filename().string();
        if (name.rfind(detail::k_temp_prefix, 0) == 0) continue; // a writer's temp file
        auto rel = prefix.empty() ? name : prefix + "/" + name;
        auto type = entry_type(*it);
        if (type == fs::file_type::directory) walk(it->path(), rel, warnings, visit);
        else visit(rel, *it, type);
    }
    if (ec) warnings.add("cannot read " + dir.string() + ": " + ec.message());
}

std::optional<std::string> read_small_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string text(128, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    return text;
}

void scan_refs(ScannedRepo& repo, Warnings& warnings) {
    auto refs_dir = repo.dir / "refs";
    if (!detail::lstat_path(refs_dir)) return;
    walk(refs_dir, "", warnings, [&](const std::string& rel, const fs::directory_entry& e, fs::file_type type) {
        if (type != fs::file_type::regular) {
            warnings.add("not a ref file: " + e.path().string());
            return;
        }
        auto commit = read_small_file(e.path());
        if (!commit || !is_commit_hash(*commit)) {
            warnings.add("ref does not hold a commit hash: " + e.path().string());
            return;
        }
        repo.refs[rel] = *commit;
    });
}

void scan_blobs(ScannedRepo& repo, Warnings& warnings) {
    auto blobs_dir = repo.dir / "blobs";
    if (!detail::lstat_path(blobs_dir)) return;
    std::error_code ec;
    fs::directory_iterator it(blobs_dir, ec);
    if (ec) {
        warnings.add("cannot read " + blobs_dir.string() + ": " + ec.message());
        return;
    }
    constexpr std::string_view k_partial = ".incomplete";
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) break;
        auto name = it->path().filename().string();
        auto st = detail::lstat_path(it->path());
        if (!st) continue; // vanished meanwhile
        bool is_partial = name.size() > k_partial.size() &&
                          name.compare(name.size() - k_partial.size(), k_partial.size(), k_partial) == 0;
        if (is_partial && st->kind == Kind::regular) {
            repo.partials.push_back({name.substr(0, name.size() - k_partial.size()), st->size, st->mtime});
            repo.partial_bytes += st->size;
            continue;
        }
        // Journals and other side files of partials belong to the download engine.
        if (name.find(".incomplete") != std::string::npos || name.front() == '.') continue;
        if (st->kind != Kind::regular) {
            warnings.add("not a regular blob: " + it->path().string());
            continue;
        }
        repo.blobs[name] = ScannedBlob{st->size, st->atime, st->mtime, 0};
        repo.size_on_disk += st->size;
        repo.last_accessed = std::max(repo.last_accessed, st->atime);
        repo.last_modified = std::max(repo.last_modified, st->mtime);
    }
    if (ec) warnings.add("cannot read " + blobs_dir.string() + ": " + ec.message());
}

void scan_snapshots(ScannedRepo& repo, Warnings& warnings, std::set<std::string>& present_paths) {
    auto snapshots_dir = repo.dir / "snapshots";
    if (!detail::lstat_path(snapshots_dir)) return;
    const auto blobs_dir = (repo.dir / "blobs").lexically_normal();
    std::error_code ec;
    fs::directory_iterator it(snapshots_dir, ec);
    if (ec) {
        warnings.add("cannot read " + snapshots_dir.string() + ": " + ec.message());
        return;
    }
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) break;
        auto commit = it->path().filename().string();
        if (entry_type(*it) != fs::file_type::directory || !is_commit_hash(commit)) {
            warnings.add("not a snapshot folder: " + it->path().string());
            continue;
        }
        ScannedRevision rev;
        rev.commit = commit;
        if (auto st = detail::lstat_path(it->path())) rev.last_modified = st->mtime;
        std::set<std::string> counted;
        walk(it->path(), "", warnings, [&](const std::string& rel, const fs::directory_entry& e, fs::file_type type) {
            ScannedFile file;
            file.path = rel;
            if (type == fs::file_type::regular) {
                auto st = detail::lstat_path(e.path());
                if (!st) return;
                file.is_copy = file.present = true;
                file.size = st->size;
                repo.size_on_disk += st->size; // a copy is its own storage
                rev.size += st->size;
                repo.last_accessed = std::max(repo.last_accessed, st->atime);
            } else if (type == fs::file_type::symlink) {
                std::error_code lec;
                auto target = fs::read_symlink(e.path(), lec);
                if (lec) return;
                auto resolved = detail::resolve_link_lexically(e.path(), target);
                auto blob = repo.blobs.end();
                if (resolved.parent_path() == blobs_dir) blob = repo.blobs.find(resolved.filename().string());
                if (!detail::lexically_within(repo.dir, resolved)) {
                    warnings.add("link points outside the repo (ignored): " + e.path().string());
                } else {
                    if (resolved.parent_path() == blobs_dir) file.etag = resolved.filename().string();
                    if (blob == repo.blobs.end())
                        warnings.add("broken link: " + e.path().string());
                }
                if (blob != repo.blobs.end()) {
                    file.present = true;
                    file.size = blob->second.size;
                    ++blob->second.links;
                    if (counted.insert(file.etag).second) rev.size += file.size;
                }
            } else {
                warnings.add("unexpected entry in snapshot: " + e.path().string());
                return;
            }
            if (file.present) present_paths.insert(file.path);
            rev.files.push_back(std::move(file));
        });
        std::sort(rev.files.begin(), rev.files.end(),
                  [](const ScannedFile& a, const ScannedFile& b) { return a.path < b.path; });
        repo.last_modified = std::max(repo.last_modified, rev.last_modified);
        repo.revisions.push_back(std::move(rev));
    }
    if (ec) warnings.add("cannot read " + snapshots_dir.string() + ": " + ec.message());
}

ScannedRepo scan_repo_dir(const fs::path& dir, std::string repo_id) {
    ScannedRepo repo;
    repo.repo = std::move(repo_id);
    repo.dir = dir.lexically_normal();
    Warnings warnings(repo.warnings);
    scan_refs(repo, warnings);
    scan_blobs(repo, warnings);
    std::set<std::string> present_paths;
    scan_snapshots(repo, warnings, present_paths);
    repo.file_count = present_paths.size();
    for (auto& rev : repo.revisions)
        for (const auto& [name, commit] : repo.refs)
            if (commit == rev.commit) rev.refs.push_back(name);
    std::sort(repo.revisions.begin(), repo.revisions.end(), [](const ScannedRevision& a, const ScannedRevision& b) {
        return a.last_modified != b.last_modified ? a.last_modified > b.last_modified : a.commit < b.commit;
    });
    if (repo.blobs.empty() && repo.last_accessed == TimePoint{}) {
        if (auto st = detail::lstat_path(dir)) repo.last_accessed = st->mtime;
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
    std::error_code ec;
    if (!detail::lstat_path(scan.root)) return scan; // no cache yet: empty, not an error
    fs::directory_iterator it(scan.root, ec);
    if (ec) {
        scan.warnings.push_back("cannot read cache root " + scan.root.string() + ": " + ec.message());
        return scan;
    }
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
        if (ec) break;
        auto name = it->path().filename().string();
        if (name.empty() || name.front() == '.') continue; // .locks, editors' and tools' dot files
        if (name.rfind("datasets--", 0) == 0 || name.rfind("spaces--", 0) == 0) continue;
        if (name == "version.txt" || name == "CACHEDIR.TAG") continue;
        auto repo_id = detail::repo_from_folder(name);
        auto st = detail::stat_path(it->path());
        if (!repo_id || !st || st->kind != Kind::directory) {
            scan.warnings.push_back("not a model folder (skipped): " + it->path().string());
            continue;
        }
        auto repo = scan_repo_dir(it->path(), std::move(*repo_id));
        for (const auto& w : repo.warnings) scan.warnings.push_back(repo.repo + ": " + w);
        scan.size_on_disk += repo.size_on_disk;
        scan.partial_bytes += repo.partial_bytes;
        scan.repos.push_back(std::move(repo));
    }
    if (ec) scan.warnings.push_back("cannot read cache root " + scan.root.string() + ": " + ec.message());
    std::sort(scan.repos.begin(), scan.repos.end(),
              [](const ScannedRepo& a, const ScannedRepo& b) { return a.repo < b.repo; });
    return scan;
}

} // namespace tabagent::cache
