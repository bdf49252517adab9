#include "core/service/repo_activity.hpp"

#include <algorithm>
#include <utility>

namespace tabagent::service {

RepoActivity::Handle& RepoActivity::Handle::operator=(Handle&& other) noexcept {
    if (this != &other) {
        release();
        m_owner = std::exchange(other.m_owner, nullptr);
        m_repo = std::move(other.m_repo);
        m_job_id = std::move(other.m_job_id);
        m_delete = other.m_delete;
    }
    return *this;
}

void RepoActivity::Handle::release() {
    if (m_owner) std::exchange(m_owner, nullptr)->end(*this);
}

RepoActivity::Handle RepoActivity::begin_download(const std::string& repo, const std::string& job_id) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return !m_repos[repo].deleting; });
    m_repos[repo].downloads.push_back(job_id);
    Handle handle;
    handle.m_owner = this;
    handle.m_repo = repo;
    handle.m_job_id = job_id;
    return handle;
}

Result<RepoActivity::Handle> RepoActivity::begin_delete(const std::string& repo) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return !m_repos[repo].deleting; });
    auto& state = m_repos[repo];
    if (!state.downloads.empty()) {
        std::string jobs;
        for (const auto& id : state.downloads) jobs += (jobs.empty() ? "" : ", ") + (id.empty() ? "?" : id);
        return fail(ErrorCode::locked, repo + " is being downloaded (job " + jobs + "); cancel the download first",
                    {{"repo", repo}, {"jobId", state.downloads.front()}, {"jobIds", state.downloads}});
    }
    state.deleting = true;
    Handle handle;
    handle.m_owner = this;
    handle.m_repo = repo;
    handle.m_delete = true;
    return handle;
}

std::vector<std::string> RepoActivity::downloads_of(const std::string& repo) const {
    std::lock_guard lock(m_mutex);
    auto it = m_repos.find(repo);
    return it == m_repos.end() ? std::vector<std::string>{} : it->second.downloads;
}

void RepoActivity::end(const Handle& handle) {
    {
        std::lock_guard lock(m_mutex);
        auto it = m_repos.find(handle.m_repo);
        if (it == m_repos.end()) return;
        auto& state = it->second;
        if (handle.m_delete) {
            state.deleting = false;
        } else if (auto job = std::find(state.downloads.begin(), state.downloads.end(), handle.m_job_id);
                   job != state.downloads.end()) {
            state.downloads.erase(job);
        }
        if (!state.deleting && state.downloads.empty()) m_repos.erase(it);
    }
    m_changed.notify_all();
}

} // namespace tabagent::service
