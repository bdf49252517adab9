#include "core/cache/lock.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace tabagent::cache {

Result<BlobLock> BlobLock::try_acquire(const std::filesystem::path& lock_path) {
    auto lock = util::FileLock::try_lock(lock_path);
    if (!lock) return tl::unexpected(lock.error());
    BlobLock out;
    out.m_path = lock_path;
    out.m_lock = std::move(*lock);
    return out;
}

Result<BlobLock> BlobLock::acquire(const std::filesystem::path& lock_path, const LockOptions& options,
                                   std::stop_token stop, const std::function<void()>& on_waiting) {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + options.timeout;
    auto wait = std::max(options.first_wait, std::chrono::milliseconds(1));
    bool waited = false;
    // The wait is on a condition variable tied to the stop token, so a cancel interrupts it at
    // once instead of after the current backoff step.
    std::mutex mutex;
    std::condition_variable_any cv;
    while (true) {
        if (stop.stop_requested()) return fail(ErrorCode::cancelled, "cancelled while waiting for a lock");
        auto attempt = try_acquire(lock_path);
        if (!attempt) return attempt;
        if (attempt->held()) {
            attempt->m_waited = waited;
            return attempt;
        }
        if (!waited) {
            waited = true;
            if (on_waiting) on_waiting();
        }
        auto now = Clock::now();
        if (now >= deadline) {
            if (options.proceed_on_timeout) {
                BlobLock unheld;
                unheld.m_path = lock_path;
                unheld.m_waited = true;
                return unheld;
            }
            return fail(ErrorCode::locked, "another process holds the download lock of this file",
                        {{"lock", lock_path.string()},
                         {"timeoutMs", options.timeout.count()}});
        }
        auto step = std::min<Clock::duration>(wait, deadline - now);
        std::unique_lock lk(mutex);
        cv.wait_for(lk, stop, step, [] { return false; });
        wait = std::min(wait * 2, std::max(options.max_wait, options.first_wait));
    }
}

Result<RepoLocks> RepoLocks::try_acquire_all(const std::filesystem::path& locks_dir) {
    RepoLocks all;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(locks_dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() != ".lock") continue;
        auto lock = BlobLock::try_acquire(it->path());
        if (!lock) continue; // cannot be opened (read-only cache): it can neither be taken nor tell
        if (!lock->held())
            return fail(ErrorCode::locked, "another process holds a download lock of this repo",
                        {{"lock", it->path().string()}});
        all.m_locks.push_back(std::move(*lock));
    }
    return all;
}

} // namespace tabagent::cache
