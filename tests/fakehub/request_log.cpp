#include "request_log.hpp"

#include <algorithm>

namespace tabagent::fakehub {

using nlohmann::json;

std::shared_ptr<RequestRecord> RequestLog::begin(std::string method, std::string path, std::string query,
                                                 std::string range, bool auth) {
    auto r = std::make_shared<RequestRecord>();
    r->method = std::move(method);
    r->path = std::move(path);
    r->query = std::move(query);
    r->range = std::move(range);
    r->authorization_present = auth;
    r->start = std::chrono::steady_clock::now();
    r->time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lock(m_mutex);
    r->id = m_next_id++;
    m_in_flight[r->id] = r;
    return r;
}

std::shared_ptr<RequestRecord> RequestLog::find(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    auto it = m_in_flight.find(id);
    return it == m_in_flight.end() ? nullptr : it->second;
}

json RequestLog::finish(std::uint64_t id, int status, std::uint64_t extra_bytes) {
    std::lock_guard lock(m_mutex);
    auto it = m_in_flight.find(id);
    if (it == m_in_flight.end()) return nullptr;
    const auto& r = *it->second;
    m_bytes_total += extra_bytes;
    const auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - r.start);
    json e = {{"id", r.id},
              {"method", r.method},
              {"path", r.path},
              {"query", r.query},
              {"range", r.range.empty() ? json(nullptr) : json(r.range)},
              {"status", status},
              {"bytes_sent", r.body_bytes.load() + extra_bytes},
              {"authorization_present", r.authorization_present},
              {"accept_encoding", r.accept_encoding ? json(*r.accept_encoding) : json(nullptr)},
              {"endpoint", r.endpoint},
              {"fault", r.fault.empty() ? json(nullptr) : json(r.fault)},
              {"time", r.time},
              {"last_write", r.last_write > 0 ? json(r.last_write.load()) : json(nullptr)},
              {"duration_ms", elapsed.count()}};
    // In arrival order (by id), not in the order requests end: a request's log entry is written
    // after its client has the whole answer, so the client's next request can end first.
    const auto at = std::upper_bound(m_entries.begin(), m_entries.end(), r.id,
                                     [](std::uint64_t key, const json& x) { return key < x["id"].get<std::uint64_t>(); });
    m_entries.insert(at, e);
    ++m_requests;
    m_in_flight.erase(it);
    if (m_in_flight.empty()) m_idle.notify_all();
    return e;
}

json RequestLog::entries(std::chrono::milliseconds wait) {
    std::unique_lock lock(m_mutex);
    m_idle.wait_for(lock, wait, [this] { return m_in_flight.empty(); });
    return json(m_entries);
}

json RequestLog::stats() {
    std::lock_guard lock(m_mutex);
    return {{"bytes_sent_total", m_bytes_total.load()},
            {"requests", m_requests},
            {"in_flight", m_in_flight.size()}};
}

void RequestLog::clear() {
    std::lock_guard lock(m_mutex);
    // Requests still in flight belong to before the reset: they are forgotten too, or one that
    // ends a moment later (the server logs after the client read the last byte) would show up in
    // the fresh log.
    m_in_flight.clear();
    m_idle.notify_all();
    m_entries.clear();
    m_requests = 0;
    m_bytes_total = 0;
}

} // namespace tabagent::fakehub
