#include "core/hub/rate_budget.hpp"

#include "core/hub/errors.hpp"
#include "core/hub/http.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace tabagent::hub {
namespace {

// A small scanner for the patterns of huggingface_hub utils/_http.py (_RATELIMIT_REGEX:
// `"(\w+)"\s*;\s*r\s*=\s*(\d+)\s*;\s*t\s*=\s*(\d+)`, _RATELIMIT_POLICY_REGEX: `q\s*=\s*(\d+).*?w\s*=\s*(\d+)`),
// searched anywhere in the value as re.search does. Hand-written: std::regex is slow and trips
// GCC 12's maybe-uninitialized warning under the sanitizer build.
class Scanner {
  public:
    explicit Scanner(std::string_view text, std::size_t at = 0) : m_text(text), m_at(at) {}
    std::size_t at() const { return m_at; }
    void spaces() {
        while (m_at < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_at]))) ++m_at;
    }
    bool literal(char ch) {
        if (m_at >= m_text.size() || m_text[m_at] != ch) return false;
        ++m_at;
        return true;
    }
    // `name \s* = \s* digits`, with spaces before the name allowed as in `;\s*r`.
    std::optional<std::string_view> field(char name) {
        spaces();
        if (!literal(name)) return std::nullopt;
        spaces();
        if (!literal('=')) return std::nullopt;
        spaces();
        return run([](unsigned char c) { return std::isdigit(c) != 0; });
    }
    std::optional<std::string_view> word() {
        return run([](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
    }

  private:
    template <typename Pred> std::optional<std::string_view> run(Pred pred) {
        const std::size_t begin = m_at;
        while (m_at < m_text.size() && pred(static_cast<unsigned char>(m_text[m_at]))) ++m_at;
        if (m_at == begin) return std::nullopt;
        return m_text.substr(begin, m_at - begin);
    }
    std::string_view m_text;
    std::size_t m_at;
};

std::optional<long> number(std::string_view digits) {
    try {
        return std::stol(std::string(digits));
    } catch (const std::exception&) { // out of range: ignore the field
        return std::nullopt;
    }
}

// `"name";r=N;t=N` at `at`, or nullopt.
std::optional<RateLimitInfo> ratelimit_at(std::string_view text, std::size_t at) {
    Scanner s(text, at);
    if (!s.literal('"')) return std::nullopt;
    auto name = s.word();
    if (!name || !s.literal('"')) return std::nullopt;
    s.spaces();
    if (!s.literal(';')) return std::nullopt;
    auto r = s.field('r');
    if (!r) return std::nullopt;
    s.spaces();
    if (!s.literal(';')) return std::nullopt;
    auto t = s.field('t');
    if (!t) return std::nullopt;
    RateLimitInfo info;
    info.resource = std::string(*name);
    info.remaining = number(*r);
    info.reset_seconds = number(*t);
    return info;
}

// The first `q=N` followed later by `w=N`.
bool policy_in(std::string_view text, RateLimitInfo& info) {
    for (std::size_t q = text.find('q'); q != std::string_view::npos; q = text.find('q', q + 1)) {
        Scanner s(text, q);
        auto limit = s.field('q');
        if (!limit) continue;
        for (std::size_t w = text.find('w', s.at()); w != std::string_view::npos; w = text.find('w', w + 1)) {
            Scanner ws(text, w);
            if (auto window = ws.field('w')) {
                info.limit = number(*limit);
                info.window_seconds = number(*window);
                return true;
            }
        }
        return false; // a later q has even fewer w's after it
    }
    return false;
}

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

} // namespace

std::optional<RateLimitInfo> parse_rate_limit(std::string_view ratelimit, std::string_view policy) {
    RateLimitInfo info;
    bool any = false;
    for (std::size_t at = ratelimit.find('"'); at != std::string_view::npos; at = ratelimit.find('"', at + 1)) {
        if (auto found = ratelimit_at(ratelimit, at)) {
            info = std::move(*found);
            any = true;
            break;
        }
    }
    if (policy_in(policy, info)) any = true;
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
