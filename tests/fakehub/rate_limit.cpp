#include "rate_limit.hpp"

#include <cmath>
#include <stdexcept>

namespace tabagent::fakehub {

using nlohmann::json;

void RateLimiter::configure(const json& body) {
    const long budget = body.value("budget", 0L);
    const long window = body.value("window", 0L);
    if (budget < 1) throw std::invalid_argument("budget must be >= 1");
    if (window < 1) throw std::invalid_argument("window must be >= 1 (seconds)");
    std::set<std::string> endpoints{"api", "resolve"};
    if (body.contains("endpoints")) {
        endpoints.clear();
        for (const auto& e : body["endpoints"]) {
            if (!e.is_string() || (e != "api" && e != "resolve" && e != "cdn"))
                throw std::invalid_argument("endpoints: api, resolve or cdn");
            endpoints.insert(e.get<std::string>());
        }
    }
    std::lock_guard lock(m_mutex);
    m_enabled = true;
    m_budget = budget;
    m_window_seconds = window;
    m_endpoints = std::move(endpoints);
    m_start = std::chrono::steady_clock::now();
    m_windows.clear();
}

void RateLimiter::clear() {
    std::lock_guard lock(m_mutex);
    m_enabled = false;
    m_windows.clear();
}

json RateLimiter::status() const {
    std::lock_guard lock(m_mutex);
    json windows = json::array();
    long max_requests = 0, refused = 0;
    for (const auto& [index, w] : m_windows) {
        windows.push_back({{"index", index}, {"requests", w.requests}, {"refused", w.refused}});
        max_requests = std::max(max_requests, w.requests);
        refused += w.refused;
    }
    return {{"enabled", m_enabled},
            {"budget", m_budget},
            {"window", m_window_seconds},
            {"endpoints", m_endpoints},
            {"windows", std::move(windows)},
            {"max_requests", max_requests},
            {"refused", refused}};
}

std::optional<RateDecision> RateLimiter::arrive(const std::string& endpoint) {
    std::lock_guard lock(m_mutex);
    if (!m_enabled || m_endpoints.count(endpoint) == 0) return std::nullopt;
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    const auto index = static_cast<long>(since / static_cast<double>(m_window_seconds));
    Window& w = m_windows[index];
    ++w.requests;
    RateDecision d;
    d.budget = m_budget;
    d.window_seconds = m_window_seconds;
    d.refused = w.requests > m_budget;
    if (d.refused) ++w.refused;
    d.remaining = std::max(0L, m_budget - w.requests);
    // Rounded up, so a client that waits t seconds is past the window's end.
    const double left = static_cast<double>((index + 1) * m_window_seconds) - since;
    d.reset_seconds = std::max(1L, static_cast<long>(std::ceil(left)));
    return d;
}

} // namespace tabagent::fakehub
