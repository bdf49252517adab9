#include "repo_store.hpp"

#include <algorithm>
#include <chrono>

namespace tabagent::fakehub {

namespace fs = std::filesystem;

namespace {

bool skipped(const std::string& rel) {
    return rel.rfind(k_meta_name, 0) == 0 || rel == ".git" || rel.rfind(".git/", 0) == 0;
}

} // namespace

const FileInfo* RepoView::find(const std::string& path) const {
    auto it = std::lower_bound(files.begin(), files.end(), path,
                               [](const FileInfo& f, const std::string& p) { return f.path < p; });
    return it != files.end() && it->path == path ? &*it : nullptr;
}

fs::path RepoStore::repo_dir(const std::string& repo_id) const { return m_root / repo_id; }

std::shared_ptr<RepoStore::State> RepoStore::state_for(const std::string& repo_id) {
    if (!valid_repo_id(repo_id)) return nullptr;
    std::error_code ec;
    if (!fs::is_directory(repo_dir(repo_id), ec)) return nullptr;
    std::lock_guard lock(m_mutex);
    auto& st = m_states[repo_id];
    if (!st) st = std::make_shared<State>();
    return st;
}

bool RepoStore::unchanged_since_last_scan(const State& st, std::int64_t meta_mtime) const {
    if (!st.scan_kept || meta_mtime != st.meta_mtime) return false;
    for (const auto& [folder, mtime] : st.folders)
        if (mtime_ns(folder) != mtime) return false;
    return true;
}

void RepoStore::refresh(const std::string& repo_id, State& st) {
    const auto meta_mtime = mtime_ns(repo_dir(repo_id) / k_meta_name);
    if (unchanged_since_last_scan(st, meta_mtime)) return;
    st.views.clear();
    st.files = scan(repo_id, st, meta_mtime);
}

std::vector<FileInfo> RepoStore::scan(const std::string& repo_id, State& st, std::int64_t meta_mtime) {
    const fs::path dir = repo_dir(repo_id);
    st.scan_kept = false;
    st.folders = {{dir, mtime_ns(dir)}};
    if (meta_mtime != st.meta_mtime) {
        st.meta = load_meta(dir).value_or(RepoMeta{});
        st.meta_mtime = meta_mtime;
    }
    std::vector<FileInfo> files;
    bool dirty = false;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        const std::string rel = it->path().lexically_relative(dir).generic_string();
        if (skipped(rel)) {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (it->is_directory()) st.folders.emplace_back(it->path(), mtime_ns(it->path()));
        if (!it->is_regular_file()) continue;
        FileInfo f;
        f.path = rel;
        f.disk = it->path();
        f.size = it->file_size();
        f.lfs = is_lfs_file(rel, f.size, st.meta.lfs_threshold);
        auto& h = st.meta.hashes[rel];
        const auto mt = mtime_ns(f.disk);
        if (h.size != f.size || h.mtime_ns != mt) h = CachedHash{f.size, mt, "", ""};
        const bool need256 = f.lfs && h.sha256.empty();
        const bool need1 = !f.lfs && h.git_sha1.empty();
        if (need256 || need1) {
            auto hashes = hash_file_content(f.disk, need256, need1, false);
            if (need256) h.sha256 = hashes.sha256;
            if (need1) h.git_sha1 = hashes.git_sha1;
            dirty = true;
        }
        f.sha256 = h.sha256;
        f.git_sha1 = h.git_sha1;
        files.push_back(std::move(f));
    }
    // Forget entries of files that disappeared (a set: repos of thousands of files are listed).
    std::set<std::string_view> present_paths;
    for (const auto& f : files) present_paths.insert(f.path);
    for (auto it = st.meta.hashes.begin(); it != st.meta.hashes.end();) {
        if (present_paths.count(it->first)) ++it;
        else {
            it = st.meta.hashes.erase(it);
            dirty = true;
        }
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    if (st.meta.sha.empty()) {
        std::vector<ListedFile> listing;
        for (const auto& f : files) listing.push_back({f.path, f.size, f.etag()});
        st.meta.sha = commit_from_listing(std::move(listing));
        dirty = true;
    }
    if (dirty && save_meta(dir, st.meta)) st.meta_mtime = mtime_ns(dir / k_meta_name);
    const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const bool settled = std::all_of(st.folders.begin(), st.folders.end(), [&](const auto& folder) {
        return now_ns - folder.second > 2'000'000'000LL;
    }) && now_ns - st.meta_mtime > 2'000'000'000LL;
    st.scan_kept = settled;
    return files;
}

void RepoStore::apply_flip(State& st, FileInfo& f) {
    const std::string key = f.path + '\n' + std::to_string(f.size) + '\n' + std::to_string(mtime_ns(f.disk));
    auto it = st.flipped_hashes.find(key);
    if (it == st.flipped_hashes.end())
        it = st.flipped_hashes.emplace(key, hash_file_content(f.disk, f.lfs, !f.lfs, true)).first;
    f.flipped = true;
    f.sha256 = it->second.sha256;
    f.git_sha1 = it->second.git_sha1;
}

std::shared_ptr<const RepoView> RepoStore::view(const std::string& repo_id, const std::string& rev,
                                                Lookup& found) {
    found = Lookup::no_repo;
    auto st = state_for(repo_id);
    if (!st) return nullptr;
    std::lock_guard lock(st->mutex);
    refresh(repo_id, *st);
    if (auto it = st->views.find(rev); it != st->views.end()) {
        found = Lookup::ok;
        return it->second;
    }
    auto built = build_view(repo_id, *st, rev, found);
    if (found == Lookup::ok && st->scan_kept) st->views[rev] = built;
    return built;
}

std::shared_ptr<const RepoView> RepoStore::build_view(const std::string& repo_id, State& st, const std::string& rev,
                                                      Lookup& found) {
    auto out = std::make_shared<RepoView>();
    out->id = repo_id;
    out->pipeline_tag = st.meta.pipeline_tag;
    out->library_name = st.meta.library_name;
    out->gated = st.meta.gated;
    out->is_private = st.meta.is_private;
    const std::set<std::string>* flipped = nullptr;
    std::string sha;
    const bool latest = rev == "main";
    if (latest && !st.extra_commits.empty()) {
        sha = st.extra_commits.back().sha;
        flipped = &st.extra_commits.back().flipped;
    } else if (latest || rev == st.meta.sha) {
        sha = st.meta.sha;
    } else {
        for (const auto& c : st.extra_commits)
            if (c.sha == rev) {
                sha = c.sha;
                flipped = &c.flipped;
            }
        if (sha.empty()) {
            found = Lookup::no_revision;
            return out;
        }
    }
    out->files = st.files;
    for (auto& f : out->files) {
        if (flipped && flipped->count(f.path)) apply_flip(st, f);
        if (f.lfs) {
            const auto pointer = lfs_pointer(f.sha256, f.size);
            f.tree_oid = git_blob_sha1(pointer);
            f.pointer_size = pointer.size();
        } else {
            f.tree_oid = f.git_sha1;
        }
    }
    out->sha = sha;
    std::size_t fingerprint = std::hash<std::string>{}(sha);
    for (const auto& f : out->files)
        fingerprint = fingerprint * 1099511628211ull ^
                      (std::hash<std::string>{}(f.path) + 31 * std::hash<std::string>{}(f.etag()) + f.size);
    out->fingerprint = fingerprint;
    found = Lookup::ok;
    return out;
}

std::string RepoStore::change_content(const std::string& repo_id, const std::string& path) {
    auto st = state_for(repo_id);
    if (!st) return {};
    std::lock_guard lock(st->mutex);
    refresh(repo_id, *st);
    const auto& files = st->files;
    if (std::none_of(files.begin(), files.end(), [&](const FileInfo& f) { return f.path == path; })) return {};
    Commit next;
    if (!st->extra_commits.empty()) next.flipped = st->extra_commits.back().flipped;
    if (!next.flipped.erase(path)) next.flipped.insert(path);
    const std::string parent = st->extra_commits.empty() ? st->meta.sha : st->extra_commits.back().sha;
    next.sha = git_blob_sha1("fakehub-change\n" + parent + "\n" + path);
    st->extra_commits.push_back(next);
    st->views.erase("main");
    return next.sha;
}

bool RepoStore::find_blob(const std::string& repo_id, const std::string& path, const std::string& hash,
                          FileInfo& out) {
    auto st = state_for(repo_id);
    if (!st) return false;
    Lookup found = Lookup::no_repo;
    if (!view(repo_id, "main", found) || found != Lookup::ok) return false;
    std::vector<std::string> revs;
    {
        std::lock_guard lock(st->mutex);
        revs.push_back(st->meta.sha);
        for (const auto& c : st->extra_commits) revs.push_back(c.sha);
    }
    for (const auto& rev : revs) {
        auto v = view(repo_id, rev, found);
        if (!v || found != Lookup::ok) continue;
        if (const FileInfo* f = v->find(path); f && (f->sha256 == hash || f->git_sha1 == hash)) {
            out = *f;
            return true;
        }
    }
    return false;
}

void RepoStore::reset_changes() {
    std::lock_guard lock(m_mutex);
    for (auto& [id, st] : m_states) {
        std::lock_guard slock(st->mutex);
        st->extra_commits.clear();
        st->views.clear();
    }
}

} // namespace tabagent::fakehub
