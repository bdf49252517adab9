#include "core/cache/clean.hpp"

#include "core/cache/delete.hpp"
#include "core/cache/fs_detail.hpp"
#include "core/cache/lock.hpp"
#include "core/cache/partials.hpp"
#include "core/cache/store.hpp"
#include "core/platform/fs.hpp"

#include <algorithm>

namespace tabagent::cache {
namespace fs = std::filesystem;

namespace {

// A held blob lock means a download (here or in another process) is working on the repo; so does
// a held lock beside another tool's partial (cache/partials.hpp).
bool repo_busy(const Store& store, const ScannedRepo& r) {
    {
        auto locks = RepoLocks::try_acquire_all(store.locks_dir(r.repo));
        if (!locks && locks.error().code == ErrorCode::locked) return true;
    } // released before the probes below, which would take our own hold for another process's
    return std::any_of(r.partials.begin(), r.partials.end(),
                       [&](const ScannedPartial& p) { return partial_in_use(store, r.repo, p); });
}

std::uint64_t repo_bytes(const ScannedRepo& r) { return r.size_on_disk + r.partial_bytes; }

// One clean run: the report it fills and the cache total it keeps up to date.
struct Cleaner {
    const CleanOptions& options;
    const fs::path& root;
    Store store;
    CleanReport& report;
    std::uint64_t total = 0;

    // Removes a repo unless a download holds one of its locks (then it is reported as busy).
    // Returns whether the repo is gone (or would be, in a dry run).
    Result<bool> evict(const ScannedRepo& r, const char* reason) {
        if (repo_busy(store, r)) {
            report.skipped_busy.push_back(r.repo);
            return false;
        }
        std::uint64_t bytes = repo_bytes(r);
        if (!options.dry_run) {
            auto freed = delete_repo(root, r.repo);
            if (!freed) return tl::unexpected(freed.error());
            bytes = *freed;
        }
        report.removed.push_back({r.repo, bytes, r.last_accessed, reason});
        report.freed_bytes += bytes;
        total -= std::min(total, repo_bytes(r));
        return true;
    }

    // Evicts, in order, each repo `wanted` selects; returns the repos that stay.
    template <typename Wanted>
    Result<std::vector<const ScannedRepo*>> evict_each(const std::vector<const ScannedRepo*>& repos,
                                                       const char* reason, Wanted wanted) {
        std::vector<const ScannedRepo*> kept;
        for (const auto* r : repos) {
            bool gone = false;
            if (wanted(*r)) {
                auto evicted = evict(*r, reason);
                if (!evicted) return tl::unexpected(evicted.error());
                gone = *evicted;
            }
            if (!gone) kept.push_back(r);
        }
        return kept;
    }

    // Partials nobody wrote since `cutoff` and nobody is downloading now (no lock guarding them is
    // held, whichever tool wrote them), with their side files (our journal), which share the
    // partial's name as a prefix.
    void drop_stale_partials(const ScannedRepo& r, TimePoint cutoff) {
        for (const auto& p : r.partials) {
            if (p.last_modified >= cutoff) continue;
            if (partial_in_use(store, r.repo, p)) continue;
            const auto path = r.dir / platform::u8path(p.file);
            const auto prefix = path.filename().string();
            std::uint64_t bytes = 0;
            std::error_code ec;
            for (fs::directory_iterator it(path.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
                auto name = it->path().filename().string();
                // A lock file stays, whoever's: removing one lets two processes lock two files.
                if (name.rfind(prefix, 0) != 0 || name.ends_with(".lock")) continue;
                auto st = detail::lstat_path(it->path());
                if (!st || st->kind != detail::Kind::regular) continue;
                if (!options.dry_run && !platform::remove_file(it->path())) {
                    report.warnings.push_back("cannot remove " + it->path().string());
                    continue;
                }
                bytes += st->size;
            }
            report.removed_partials.push_back({r.repo, p.etag, p.file, std::string(partial_kind_name(p.kind)), bytes,
                                               p.last_modified});
            report.freed_bytes += bytes;
            total -= std::min(total, p.size);
        }
    }
};

} // namespace

Result<CleanReport> clean(const fs::path& root, const CleanOptions& options) {
    CleanReport report;
    report.dry_run = options.dry_run;
    auto scan = scan_cache(root);
    report.warnings = scan.warnings;
    const auto now = options.now.value_or(std::chrono::system_clock::now());
    std::optional<TimePoint> cutoff;
    if (options.older_than) cutoff = now - *options.older_than;
    for (const auto& r : scan.repos) report.total_before += repo_bytes(r);
    Cleaner cleaner{options, scan.root, Store(scan.root), report, report.total_before};

    // LRU order: oldest newest-blob-access first; ties by name for a stable report.
    std::vector<const ScannedRepo*> kept;
    for (const auto& r : scan.repos) kept.push_back(&r);
    std::stable_sort(kept.begin(), kept.end(), [](const ScannedRepo* a, const ScannedRepo* b) {
        return a->last_accessed < b->last_accessed;
    });
    if (cutoff) {
        auto still = cleaner.evict_each(kept, "older_than", [&](const ScannedRepo& r) { return r.last_accessed < *cutoff; });
        if (!still) return tl::unexpected(still.error());
        kept = std::move(*still);
    }
    if (options.max_bytes) {
        auto still = cleaner.evict_each(kept, "max_bytes", [&](const ScannedRepo&) { return cleaner.total > *options.max_bytes; });
        if (!still) return tl::unexpected(still.error());
        kept = std::move(*still);
    }
    if (cutoff)
        for (const auto* r : kept) cleaner.drop_stale_partials(*r, *cutoff);
    report.total_after = cleaner.total;
    return report;
}

} // namespace tabagent::cache
