#include "core/hub/rate_budget.hpp"

#include "core/hub/errors.hpp"
#include "core/hub/http.hpp"

#include <algorithm>
#include <regex>

namespace tabagent::hub {
namespace {

// The patterns of huggingface_hub utils/_http.py (_RATELIMIT_REGEX, _RATELIMIT_POLICY_REGEX).
const std::regex& ratelimit_pattern() {
    static const std::regex pattern(R"re("(\w+)"\s*;\s*r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+))re");
    return pattern;
}
const std::regex& policy_pattern() {
    static const std::regex pattern(R"re(q\s*=\s*(\d+).*?w\s*=\s*(\d+))re");
    return pattern;
}

std::optional<long> number(const std::ssub_match& match) {
    try {
        return std::stol(match.str());
    } catch (const std::exception&) { // out of range: ignore the field
        return std::nullopt;
    }
}

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

} // namespace

std::optional<RateLimitInfo> parse_rate_limit(std::string_view ratelimit, std::string_view policy) {
    RateLimitInfo info;
    bool any = false;
    const std::string limit_text(ratelimit), policy_text(policy);
    std::smatch m;
    if (std::regex_search(limit_text, m, ratelimit_pattern())) {
        info.resource = m[1].str();
        info.remaining = number(m[2]);
        info.reset_seconds = number(m[3]);
        any = true;
    }
    if (std::regex_search(policy_text, m, policy_pattern())) {
        info.limit = number(m[1]);
        info.window_seconds = number(m[2]);
        any = true;
    }
    if (!any) return std::nullopt;
    return info;
}

std::optional<HostBudgets::Clock::duration> HostBudgets::acquire(const std::string& origin, Clock::time_point now) {
    std::lock_guard lock(m_mutex);
    Host& host = m_hosts[origin];
    if (const auto wait = wait_locked(host, now); wait > Clock::duration::zero()) return wait;
    // Kept sorted: the engine and the client threads may pass times a little out of order.
    host.sent.insert(std::upper_bound(host.sent.begin(), host.sent.end(), now), now);
    const std::size_t keep = host.limit ? static_cast<std::size_t>(std::max(*host.limit, 1L)) : k_budget_history;
    while (host.sent.size() > keep) host.sent.pop_front();
    return std::nullopt;
}

HostBudgets::Clock::duration HostBudgets::wait_locked(const Host& host, Clock::time_point now) const {
    Clock::duration wait = host.closed_until > now ? host.closed_until - now : Clock::duration::zero();
    if (!host.limit) return wait;
    if (*host.limit <= 0) return std::max(wait, host.window);
    const auto limit = static_cast<std::size_t>(*host.limit);
    if (host.sent.size() < limit) return wait;
    // The limit-th newest request leaves the window at this time; then one more may go.
    const Clock::time_point free_at = host.sent[host.sent.size() - limit] + host.window;
    return free_at > now ? std::max(wait, free_at - now) : wait;
}

void HostBudgets::observe(const std::string& origin, long status, const ResponseHeaders& headers,
                          Clock::time_point now) {
    std::optional<double> retry_after;
    if (auto value = headers.get("retry-after"); !value.empty()) retry_after = parse_retry_after(value);
    observe(origin, status, parse_rate_limit(headers.get("ratelimit"), headers.get("ratelimit-policy")),
            retry_after, now);
}

void HostBudgets::observe(const std::string& origin, long status, const std::optional<RateLimitInfo>& info,
                          std::optional<double> retry_after, Clock::time_point now) {
    const bool refused = status == 429 || status == 503;
    if (!info && !(refused && retry_after)) return;
    std::lock_guard lock(m_mutex);
    Host& host = m_hosts[origin];
    if (info && info->limit && info->window_seconds) {
        host.limit = info->limit;
        host.window = std::chrono::seconds(*info->window_seconds) + k_budget_margin;
        while (*host.limit > 0 && host.sent.size() > static_cast<std::size_t>(*host.limit)) host.sent.pop_front();
    }
    // Nothing left in this window (another process may have spent it): closed until it resets.
    if (info && info->remaining && *info->remaining <= 0 && info->reset_seconds)
        host.closed_until = std::max(host.closed_until, now + std::chrono::seconds(*info->reset_seconds));
    if (refused && retry_after) host.closed_until = std::max(host.closed_until, now + seconds(*retry_after));
}

HostBudgets::Clock::duration HostBudgets::wait_for(const std::string& origin, Clock::time_point now) const {
    std::lock_guard lock(m_mutex);
    auto it = m_hosts.find(origin);
    return it == m_hosts.end() ? Clock::duration::zero() : wait_locked(it->second, now);
}

std::optional<std::pair<long, long>> HostBudgets::policy(const std::string& origin) const {
    std::lock_guard lock(m_mutex);
    auto it = m_hosts.find(origin);
    if (it == m_hosts.end() || !it->second.limit) return std::nullopt;
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(it->second.window - k_budget_margin);
    return std::pair<long, long>{*it->second.limit, static_cast<long>(window.count())};
}

} // namespace tabagent::hub
