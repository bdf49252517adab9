#include "core/cache/clean.hpp"

#include "core/cache/delete.hpp"
#include "core/cache/fs_detail.hpp"
#include "core/cache/lock.hpp"
#include "core/cache/store.hpp"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace tabagent::cache {
namespace fs = std::filesystem;

namespace {

// A held blob lock means a download (here or in another process) is working on the repo.
bool repo_busy(const Store& store, const std::string& repo) {
    auto locks = RepoLocks::try_acquire_all(store.locks_dir(repo));
    return !locks && locks.error().code == ErrorCode::locked;
}

std::uint64_t repo_bytes(const ScannedRepo& r) { return r.size_on_disk + r.partial_bytes; }

} // namespace

Result<CleanReport> clean(const fs::path& root, const CleanOptions& options) {
    CleanReport report;
    report.dry_run = options.dry_run;
    auto scan = scan_cache(root);
    report.warnings = scan.warnings;
    Store store(scan.root);
    const auto now = options.now.value_or(std::chrono::system_clock::now());
    std::optional<TimePoint> cutoff;
    if (options.older_than) cutoff = now - *options.older_than;

    for (const auto& r : scan.repos) report.total_before += repo_bytes(r);
    auto total = report.total_before;

    // LRU order: oldest newest-blob-access first; ties by name for a stable report.
    std::vector<const ScannedRepo*> order;
    for (const auto& r : scan.repos) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const ScannedRepo* a, const ScannedRepo* b) {
        return a->last_accessed < b->last_accessed;
    });

    std::vector<const ScannedRepo*> kept;
    auto remove = [&](const ScannedRepo& r, const char* reason) -> Status {
        if (repo_busy(store, r.repo)) {
            report.skipped_busy.push_back(r.repo);
            return {};
        }
        std::uint64_t bytes = repo_bytes(r);
        if (!options.dry_run) {
            auto freed = delete_repo(scan.root, r.repo);
            if (!freed) return tl::unexpected(freed.error());
            bytes = *freed;
        }
        report.removed.push_back({r.repo, bytes, r.last_accessed, reason});
        report.freed_bytes += bytes;
        total -= std::min(total, repo_bytes(r));
        return {};
    };

    for (const auto* r : order) {
        bool gone = false;
        if (cutoff && r->last_accessed < *cutoff) {
            auto before = report.removed.size();
            if (auto st = remove(*r, "older_than"); !st) return tl::unexpected(st.error());
            gone = report.removed.size() > before;
        }
        if (!gone) kept.push_back(r);
    }
    if (options.max_bytes) {
        std::vector<const ScannedRepo*> still;
        for (const auto* r : kept) {
            bool gone = false;
            if (total > *options.max_bytes) {
                auto before = report.removed.size();
                if (auto st = remove(*r, "max_bytes"); !st) return tl::unexpected(st.error());
                gone = report.removed.size() > before;
            }
            if (!gone) still.push_back(r);
        }
        kept = std::move(still);
    }

    if (cutoff) {
        for (const auto* r : kept) {
            for (const auto& p : r->partials) {
                if (p.last_modified >= *cutoff) continue;
                auto lock = BlobLock::try_acquire(store.lock_path(r->repo, p.etag));
                if (lock && !lock->held()) continue; // being downloaded right now
                std::uint64_t bytes = 0;
                // The partial and its side files (journal) share the "<etag>.incomplete" prefix.
                const auto prefix = p.etag + ".incomplete";
                std::error_code ec;
                for (fs::directory_iterator it(r->dir / "blobs", ec), end; !ec && it != end; it.increment(ec)) {
                    auto name = it->path().filename().string();
                    if (name.rfind(prefix, 0) != 0) continue;
                    auto st = detail::lstat_path(it->path());
                    if (!st || st->kind != detail::Kind::regular) continue;
                    if (!options.dry_run && ::unlink(it->path().c_str()) != 0) {
                        report.warnings.push_back("cannot remove " + it->path().string());
                        continue;
                    }
                    bytes += st->size;
                }
                report.removed_partials.push_back({r->repo, p.etag, bytes, p.last_modified});
                report.freed_bytes += bytes;
                total -= std::min(total, p.size);
            }
        }
    }
    report.total_after = total;
    return report;
}

} // namespace tabagent::cache
