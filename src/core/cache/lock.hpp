#pragma once
// Per-blob inter-process lock (DESIGN §4, §10) on <root>/.locks/models--o--n/<etag>.lock, the same
// file and the same lock huggingface_hub's filelock takes (flock on POSIX, LockFileEx of byte 0 on
// Windows: platform::FileLock), so the two tools also exclude each other.
// The lock only saves duplicate work; integrity never depends on it (only verified blobs are
// renamed into place). Such locks vanish with their process, so there is no "stale lock" to
// break: a bounded wait is all the staleness handling needed.
#include "core/error.hpp"
#include "core/util/fd.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <vector>

namespace tabagent::cache {

struct LockOptions {
    std::chrono::milliseconds timeout{std::chrono::minutes(10)};
    std::chrono::milliseconds first_wait{50}; // polling backoff: first_wait, doubling up to max_wait
    std::chrono::milliseconds max_wait{200};
    // When the timeout expires: false -> LOCKED error; true -> return an unheld BlobLock and let
    // the caller proceed without the lock. Safe because a writer publishes only a verified blob
    // by rename, and a loser of the race finds the blob present (useful on NFS where flock may
    // be broken or a hung peer holds it).
    bool proceed_on_timeout = false;
};

class BlobLock {
public:
    BlobLock() = default;

    // Polls util::FileLock::try_lock until it succeeds, the timeout expires or `stop` is
    // requested. `on_waiting` is called once, the first time the lock is found held by another
    // process (the job then shows "waiting for another process"). Errors: LOCKED on timeout
    // (unless proceed_on_timeout), CANCELLED when stopped, INTERNAL when the lock file cannot be
    // created.
    static Result<BlobLock> acquire(const std::filesystem::path& lock_path, const LockOptions& options = {},
                                    std::stop_token stop = {},
                                    const std::function<void()>& on_waiting = {});

    // One attempt, no waiting: an unheld BlobLock when another process holds it.
    static Result<BlobLock> try_acquire(const std::filesystem::path& lock_path);

    // False for a default lock, after release(), or after proceeding without it on timeout.
    bool held() const { return static_cast<bool>(m_lock); }
    explicit operator bool() const { return held(); }
    bool waited() const { return m_waited; } // another process held it at some point
    const std::filesystem::path& path() const { return m_path; }
    void release() { m_lock.unlock(); }

private:
    util::FileLock m_lock;
    std::filesystem::path m_path;
    bool m_waited = false;
};

// Every blob lock of one repo (the .lock files in <root>/.locks/models--o--n/, huggingface_hub's
// included), held together: a delete takes them so that no download in another process works on
// the repo meanwhile (one that starts waits on its blob lock), and clean() asks whether any is held.
class RepoLocks {
public:
    RepoLocks() = default;
    // One attempt per lock file, no waiting. LOCKED (details: lock) when another process holds one
    // (a download is running there). A missing folder is no lock at all; a lock file that cannot
    // be opened (read-only cache) is skipped, as clean() always did.
    static Result<RepoLocks> try_acquire_all(const std::filesystem::path& locks_dir);
    std::size_t size() const { return m_locks.size(); }

private:
    std::vector<BlobLock> m_locks;
};

} // namespace tabagent::cache
