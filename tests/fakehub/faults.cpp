#include "faults.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>
#include <utility>

namespace tabagent::fakehub {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<FaultKind, const char*>, 14> k_kinds = {{
    {FaultKind::status, "status"},
    {FaultKind::change_content, "change_content"},
    {FaultKind::redirect_loop, "redirect_loop"},
    {FaultKind::redirect_other_host, "redirect_other_host"},
    {FaultKind::drop, "drop"},
    {FaultKind::stall, "stall"},
    {FaultKind::corrupt, "corrupt"},
    {FaultKind::ignore_range, "ignore_range"},
    {FaultKind::rate, "rate"},
    {FaultKind::truncate, "truncate"},
    {FaultKind::wrong_length, "wrong_length"},
    {FaultKind::hold, "hold"},
    {FaultKind::first_byte_delay, "first_byte_delay"},
    {FaultKind::content_encoding, "content_encoding"},
}};

const char* kind_name(FaultKind k) {
    for (const auto& [kind, name] : k_kinds)
        if (kind == k) return name;
    return "?";
}

template <class T> T get_or(const json& j, const char* key, T fallback) {
    if (!j.contains(key) || j[key].is_null()) return fallback;
    try {
        return j[key].get<T>();
    } catch (const json::exception&) {
        throw std::invalid_argument(std::string("bad type for '") + key + "'");
    }
}

} // namespace

HoldGate::Grant HoldGate::take(std::uint64_t want, const StopSignal& stop) {
    std::unique_lock lock(m_mutex);
    Grant grant;
    if (!m_released && m_left == 0) {
        grant.waited = true;
        ++m_waiting;
        // The stop signal has its own condition variable: look at it every 20 ms while held.
        while (!m_released && m_left == 0 && !stop.stopped()) m_cv.wait_for(lock, std::chrono::milliseconds(20));
        --m_waiting;
        if (!m_released && m_left == 0) return grant; // stopping
    }
    grant.bytes = m_released ? want : std::min(want, m_left);
    if (!m_released) m_left -= grant.bytes;
    return grant;
}

void HoldGate::give_back(std::uint64_t bytes) {
    {
        std::lock_guard lock(m_mutex);
        if (m_released) return;
        m_left += bytes;
    }
    m_cv.notify_all();
}

void HoldGate::add(std::uint64_t bytes) { give_back(bytes); }

void HoldGate::release() {
    {
        std::lock_guard lock(m_mutex);
        m_released = true;
    }
    m_cv.notify_all();
}

json HoldGate::to_json() const {
    std::lock_guard lock(m_mutex);
    return {{"left", m_released ? json(nullptr) : json(m_left)}, {"waiting", m_waiting}};
}

FaultStage stage_of(FaultKind kind) {
    switch (kind) {
    case FaultKind::status:
    case FaultKind::change_content:
    case FaultKind::redirect_loop:
    case FaultKind::redirect_other_host:
    case FaultKind::first_byte_delay: return FaultStage::request;
    default: return FaultStage::body;
    }
}

json FaultRule::to_json() const {
    json out = {{"id", id},         {"kind", kind_name(kind)}, {"path_contains", path_contains},
                {"method", method}, {"endpoint", endpoint},    {"times", times},
                {"hits", hits}};
    if (hold) out.update(hold->to_json());
    return out;
}

int FaultBook::add(const json& j) {
    if (!j.is_object()) throw std::invalid_argument("rule must be a JSON object");
    FaultRule r;
    const auto kind = get_or<std::string>(j, "kind", "");
    bool known = false;
    for (const auto& [k, name] : k_kinds)
        if (kind == name) {
            r.kind = k;
            known = true;
        }
    if (!known) throw std::invalid_argument("unknown fault kind '" + kind + "'");
    r.path_contains = get_or<std::string>(j, "path_contains", "");
    r.method = get_or<std::string>(j, "method", "");
    r.endpoint = get_or<std::string>(j, "endpoint", "");
    if (!r.endpoint.empty() && r.endpoint != "api" && r.endpoint != "resolve" && r.endpoint != "cdn")
        throw std::invalid_argument("endpoint must be api, resolve or cdn");
    r.times = get_or<int>(j, "times", r.kind == FaultKind::hold ? -1 : 1);
    if (r.times == 0 || r.times < -1) throw std::invalid_argument("times must be >= 1 or -1");
    // A hold ends when the test releases it, so it never expires by count (it could not be
    // released once gone from the book).
    if (r.kind == FaultKind::hold && r.times != -1) throw std::invalid_argument("a hold rule has times -1");
    r.status = get_or<int>(j, "status", r.status);
    if (r.status < 100 || r.status > 599) throw std::invalid_argument("status out of range");
    r.retry_after = get_or<double>(j, "retry_after", -1);
    r.error_code = get_or<std::string>(j, "error_code", "");
    r.after_bytes = get_or<std::int64_t>(j, "after_bytes", -1);
    r.after_fraction = get_or<double>(j, "after_fraction", -1);
    r.stall_ms = get_or<std::int64_t>(j, "stall_ms", r.stall_ms);
    r.stall_close = get_or<std::string>(j, "then", "continue") == "close";
    r.offset = get_or<std::int64_t>(j, "offset", -1);
    r.bytes_per_second = get_or<double>(j, "bytes_per_second", 0);
    if (r.kind == FaultKind::rate && r.bytes_per_second <= 0)
        throw std::invalid_argument("rate needs bytes_per_second > 0");
    r.delta = get_or<std::int64_t>(j, "delta", r.delta);
    if (r.kind == FaultKind::wrong_length && r.delta == 0) throw std::invalid_argument("delta must not be 0");
    r.delay_ms = get_or<std::int64_t>(j, "delay_ms", r.delay_ms);
    if (r.delay_ms < 0) throw std::invalid_argument("delay_ms must be >= 0");
    r.encoding = get_or<std::string>(j, "encoding", r.encoding);
    if (r.encoding.empty()) throw std::invalid_argument("encoding must not be empty");
    r.repo = get_or<std::string>(j, "repo", "");
    r.file = get_or<std::string>(j, "file", "");
    if (r.kind == FaultKind::hold) {
        if (r.after_fraction >= 0) throw std::invalid_argument("a hold takes after_bytes (shared by its responses)");
        r.hold = std::make_shared<HoldGate>(static_cast<std::uint64_t>(std::max<std::int64_t>(r.after_bytes, 0)));
    }
    std::lock_guard lock(m_mutex);
    r.id = m_next_id++;
    m_rules.push_back(r);
    return r.id;
}

int FaultBook::clear() {
    std::lock_guard lock(m_mutex);
    int n = static_cast<int>(m_rules.size());
    for (auto& r : m_rules)
        if (r.hold) r.hold->release();
    m_rules.clear();
    return n;
}

bool FaultBook::remove(int id) {
    std::lock_guard lock(m_mutex);
    return std::erase_if(m_rules, [id](const FaultRule& r) {
               if (r.id != id) return false;
               if (r.hold) r.hold->release();
               return true;
           }) > 0;
}

bool FaultBook::release(int id, std::optional<std::uint64_t> bytes) {
    std::unique_lock lock(m_mutex);
    for (auto& r : m_rules) {
        if (r.id != id || !r.hold) continue;
        if (bytes) {
            r.hold->add(*bytes);
            return true;
        }
        lock.unlock();
        return remove(id); // a released rule would still match (and shadow) later requests
    }
    return false;
}

json FaultBook::list() const {
    std::lock_guard lock(m_mutex);
    json out = json::array();
    for (const auto& r : m_rules) out.push_back(r.to_json());
    return out;
}

std::optional<FaultRule> FaultBook::take(FaultStage stage, const std::string& endpoint, const std::string& method,
                                         const std::string& match_text) {
    std::lock_guard lock(m_mutex);
    for (auto it = m_rules.begin(); it != m_rules.end(); ++it) {
        FaultRule& r = *it;
        if (stage_of(r.kind) != stage) continue;
        if (!r.endpoint.empty() && r.endpoint != endpoint) continue;
        if (!r.method.empty() && r.method != method) continue;
        if (match_text.find(r.path_contains) == std::string::npos) continue;
        const bool redirect = r.kind == FaultKind::redirect_loop || r.kind == FaultKind::redirect_other_host;
        if (redirect && endpoint != "resolve") continue;
        ++r.hits;
        FaultRule taken = r;
        if (r.times > 0 && --r.times == 0) m_rules.erase(it);
        return taken;
    }
    return std::nullopt;
}

} // namespace tabagent::fakehub
