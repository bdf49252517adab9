#pragma once
// What this process is doing to which repo, so that operations on one repo serialize cleanly
// (ARCHITECTURE.md, "Concurrent operations on one repo"): deletes of a repo run one at a time, a
// delete is refused (LOCKED, naming the job) while a download job of the repo runs, and a download
// that starts during a delete waits for it (deletes are short) and starts from what it left. The
// JobManager is not needed: the download runner registers itself here. In-process only; across
// processes the blob locks in .locks/ play this part (cache::RepoLocks).
#include "core/error.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace tabagent::service {

class RepoActivity {
public:
    // Held while a download or a delete runs; ends the registration when it goes.
    class Handle {
    public:
        Handle() = default;
        Handle(Handle&& other) noexcept { *this = std::move(other); }
        Handle& operator=(Handle&& other) noexcept;
        Handle(const Handle&) = delete;
        Handle& operator=(const Handle&) = delete;
        ~Handle() { release(); }
        void release();

    private:
        friend class RepoActivity;
        RepoActivity* m_owner = nullptr;
        std::string m_repo;
        std::string m_job_id; // empty for a delete
        bool m_delete = false;
    };

    RepoActivity() = default;
    RepoActivity(const RepoActivity&) = delete;
    RepoActivity& operator=(const RepoActivity&) = delete;

    // `repo` is being downloaded by `job_id` (may be empty: a runner outside the JobManager) until
    // the handle goes. Waits while a delete of the repo runs. Several downloads of a repo may run.
    [[nodiscard]] Handle begin_download(const std::string& repo, const std::string& job_id);
    // The right to delete from `repo` until the handle goes; waits for another delete of the repo.
    // LOCKED, naming the jobs in its message and details (jobId, jobIds), while a download of the
    // repo is registered.
    [[nodiscard]] Result<Handle> begin_delete(const std::string& repo);
    // The jobs downloading `repo` now (for tests and diagnostics).
    std::vector<std::string> downloads_of(const std::string& repo) const;

private:
    struct Repo {
        std::vector<std::string> downloads; // job ids, one entry per registration
        bool deleting = false;
    };
    void end(const Handle& handle);

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<std::string, Repo> m_repos; // only repos with something running
};

} // namespace tabagent::service
