#include "job_events.hpp"

#include "core/wire/wire.hpp"

#include <algorithm>

namespace tabagent::python {

nlohmann::json event_json(const jobs::JobEvent& event) {
    nlohmann::json doc = wire::progress_payload(event);
    doc["jobId"] = event.job_id;
    nlohmann::json active = nlohmann::json::array();
    for (const auto& f : event.active_files)
        active.push_back({{"path", f.path}, {"loaded", f.loaded}, {"total", f.total}, {"bytesPerSecond", f.bytes_per_second}});
    doc["activeFiles"] = std::move(active);
    return doc;
}

void JobEvents::push(const jobs::JobEvent& event) {
    auto doc = event_json(event);
    const bool progress = event.status == jobs::EventKind::progress;
    std::lock_guard lock(m_mutex);
    auto& log = m_logs[event.job_id];
    if (log.terminal) return; // exactly one terminal event per job; nothing follows it
    if (progress && log.last_is_progress && !log.events.empty()) log.events.back() = {++m_sequence, std::move(doc)};
    else log.events.emplace_back(++m_sequence, std::move(doc));
    log.last_is_progress = progress;
    if (jobs::is_terminal(event.status)) {
        log.terminal = true;
        log.last = event;
        m_finished.push_back(event.job_id);
        forget_old_locked();
    }
    m_changed.notify_all();
}

bool JobEvents::ready_locked(const std::string& job_id, std::uint64_t after) const {
    if (m_closed) return true;
    auto it = m_logs.find(job_id);
    return it != m_logs.end() && !it->second.events.empty() && it->second.events.back().first > after;
}

JobEvents::Batch JobEvents::wait(const std::string& job_id, std::uint64_t after, Clock::time_point deadline,
                                 Clock::time_point not_before) {
    std::unique_lock lock(m_mutex);
    m_changed.wait_until(lock, deadline, [&] { return ready_locked(job_id, after); });
    auto ended = [&] {
        auto it = m_logs.find(job_id);
        return m_closed || (it != m_logs.end() && it->second.terminal);
    };
    if (ready_locked(job_id, after) && !ended())
        m_changed.wait_until(lock, std::min(deadline, not_before), ended);
    Batch batch;
    batch.cursor = after;
    auto it = m_logs.find(job_id);
    if (it == m_logs.end()) return batch;
    for (const auto& [sequence, doc] : it->second.events) {
        if (sequence <= after) continue;
        batch.events.push_back(doc);
        batch.cursor = sequence;
    }
    batch.terminal = it->second.terminal;
    return batch;
}

std::optional<jobs::JobEvent> JobEvents::terminal_event(const std::string& job_id) const {
    std::lock_guard lock(m_mutex);
    auto it = m_logs.find(job_id);
    if (it == m_logs.end()) return std::nullopt;
    return it->second.last;
}

void JobEvents::close() {
    std::lock_guard lock(m_mutex);
    m_closed = true;
    m_changed.notify_all();
}

void JobEvents::forget_old_locked() {
    while (m_finished.size() > k_finished_kept) {
        m_logs.erase(m_finished.front());
        m_finished.pop_front();
    }
}

} // namespace tabagent::python
