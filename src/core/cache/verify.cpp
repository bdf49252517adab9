#include "core/cache/verify.hpp"

#include "core/cache/hub_metadata.hpp"
#include "core/cache/scan.hpp"
#include "core/cache/store.hpp"
#include "core/names.hpp"
#include "core/platform/fs.hpp"
#include "core/util/fd.hpp"
#include "core/util/hash.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace tabagent::cache {
namespace fs = std::filesystem;

std::string_view to_string(BlobState state) {
    switch (state) {
    case BlobState::ok: return "ok";
    case BlobState::bad: return "bad";
    case BlobState::missing: return "missing";
    case BlobState::unverifiable: return "unverifiable";
    case BlobState::unreadable: return "unreadable";
    }
    return "unknown";
}

namespace {

constexpr std::size_t k_chunk = 1 << 20;

struct Hashing {
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    const VerifyProgress& progress;
    std::stop_token stop;
};

// Streams the file through the hasher with bounded memory, reporting progress per chunk.
// Returns nullopt when stopped.
Result<std::optional<std::string>> hash_blob(const fs::path& path, util::HashKind kind, Hashing& h) {
    auto fd = util::UniqueFd::open_read(path);
    if (!fd) return tl::unexpected(fd.error());
    auto size = fd->size();
    if (!size) return tl::unexpected(size.error());
    util::Hasher hasher(kind, *size);
    std::vector<std::byte> buffer(k_chunk);
    std::uint64_t offset = 0;
    while (true) {
        if (h.stop.stop_requested()) return std::optional<std::string>{};
        auto n = fd->pread_some(buffer, offset);
        if (!n) return tl::unexpected(n.error());
        if (*n == 0) break;
        hasher.update(buffer.data(), *n);
        offset += *n;
        h.done += *n;
        if (h.progress) h.progress(h.done, std::max(h.total, h.done));
    }
    return std::optional<std::string>{hasher.hex_digest()};
}

// One thing to hash: a blob, or a snapshot entry that is a regular file (a degraded cache: no link
// rights, so huggingface_hub and Store::publish moved or copied the blob into the snapshot). A copy
// has lost its blob name; its etag comes from its commit's trees/<commit>.json (lfs_sha256 for LFS
// files, the git blob id otherwise), which huggingface_hub 1.x and the host write beside a download.
struct Target {
    BlobCheck check;
    bool hash = false;
    util::HashKind kind{};
};

void add_target(std::vector<Target>& out, BlobCheck check) {
    Target t{std::move(check)};
    if (t.check.state == BlobState::ok) {
        t.hash = util::hash_kind_for_etag(t.check.etag, t.kind);
        if (!t.hash) t.check.state = BlobState::unverifiable;
    }
    out.push_back(std::move(t));
}

std::vector<Target> targets_of(const Store& store, const ScannedRepo& repo) {
    std::map<std::string, std::set<std::string>> linked; // etag -> paths
    for (const auto& rev : repo.revisions)
        for (const auto& f : rev.files)
            if (!f.etag.empty()) linked[f.etag].insert(f.path);
    auto files_of = [&](const std::string& etag) {
        auto it = linked.find(etag);
        return it == linked.end() ? std::vector<std::string>{}
                                  : std::vector<std::string>(it->second.begin(), it->second.end());
    };
    std::vector<Target> out;
    for (const auto& [etag, blob] : repo.blobs)
        add_target(out, {repo.repo, etag, repo.dir / "blobs" / etag, blob.size, BlobState::ok, false, files_of(etag), {}});
    for (const auto& rev : repo.revisions) {
        std::map<std::string, std::string> expected; // path -> etag, read only when a copy needs it
        bool read = false;
        for (const auto& f : rev.files) {
            if (!f.is_copy) continue;
            if (!read) {
                read = true;
                if (auto tree = read_tree_cache(store, repo.repo, rev.commit))
                    for (auto& rf : *tree) expected.emplace(rf.path, rf.etag);
            }
            auto it = expected.find(f.path);
            add_target(out, {repo.repo, it == expected.end() ? std::string() : it->second,
                             repo.dir / "snapshots" / rev.commit / platform::u8path(f.path), f.size, BlobState::ok,
                             false, {f.path}, {}});
        }
    }
    for (const auto& [etag, paths] : linked)
        if (!repo.blobs.count(etag))
            add_target(out, {repo.repo, etag, repo.dir / "blobs" / etag, 0, BlobState::missing, false, files_of(etag), {}});
    return out;
}

void verify_target(Target& t, bool remove_bad, Hashing& h, VerifyReport& report) {
    auto& check = t.check;
    auto digest = hash_blob(check.path, t.kind, h);
    if (!digest) {
        check.state = BlobState::unreadable;
        check.error = digest.error().message;
        return;
    }
    if (!*digest) {
        report.cancelled = true;
        return;
    }
    std::string lower = check.etag;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (**digest == lower) return;
    check.state = BlobState::bad;
    if (!remove_bad) return;
    // A bad copy goes too: the snapshot entry is then absent, and a new download repairs it.
    if (auto removed = platform::remove_file(check.path); removed && *removed) check.removed = true;
    else report.warnings.push_back("cannot remove bad blob " + check.path.string());
}

} // namespace

Result<VerifyReport> verify(const fs::path& root, const std::optional<std::string>& repo, bool remove_bad,
                            const VerifyProgress& progress, std::stop_token stop) {
    std::vector<ScannedRepo> repos;
    VerifyReport report;
    if (repo) {
        if (auto st = validate_repo(*repo); !st) return tl::unexpected(st.error());
        auto one = scan_repo(root, *repo);
        if (!one) return fail(ErrorCode::not_found, "model is not in the cache", {{"repo", *repo}});
        report.warnings = one->warnings;
        repos.push_back(std::move(*one));
    } else {
        auto scan = scan_cache(root);
        report.warnings = std::move(scan.warnings);
        repos = std::move(scan.repos);
    }

    const Store store(root);
    std::vector<std::vector<Target>> targets;
    Hashing h{0, 0, progress, stop};
    for (const auto& r : repos) {
        targets.push_back(targets_of(store, r));
        for (const auto& t : targets.back())
            if (t.hash) h.total += t.check.size;
    }
    for (auto& repo_targets : targets) {
        for (auto& t : repo_targets) {
            if (t.hash) verify_target(t, remove_bad, h, report);
            if (report.cancelled) break;
            report.blobs.push_back(std::move(t.check));
        }
        if (report.cancelled) break;
    }
    report.bytes_hashed = h.done;
    if (progress && !report.cancelled) progress(h.done, h.total);
    for (const auto& b : report.blobs) {
        switch (b.state) {
        case BlobState::ok: ++report.ok; break;
        case BlobState::bad: ++report.bad; break;
        case BlobState::missing: ++report.missing; break;
        case BlobState::unverifiable: ++report.unverifiable; break;
        case BlobState::unreadable: ++report.unreadable; break;
        }
    }
    return report;
}

} // namespace tabagent::cache
