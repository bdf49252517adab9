#pragma once
// Request budgets per host (DESIGN §5 "Rate limits"). The Hub counts requests per client in fixed
// windows and says so in two headers (IETF draft-ietf-httpapi-ratelimit-headers-09, the subset
// huggingface_hub >= 1.2 reads in utils/_http.py `parse_ratelimit_headers`):
//     RateLimit-Policy: "fixed window";"api";q=500;w=300    (q requests per w seconds)
//     RateLimit: "api";r=489;t=189                          (r left, window resets in t s)
// and answers 429 (with Retry-After) once a window's budget is spent. HostBudgets turns that into
// "may a request go to this host now, else in how long", for the Hub client's metadata requests
// and the download engine's file requests alike, so one budget per host covers both.
//
// The budget is a sliding log of the times requests were let through: once the policy is known,
// no interval of w seconds (plus a margin for latency) holds more than q of them, so no fixed
// window of the server can count more than q either, wherever its edges fall. A 429/503 with
// Retry-After, or RateLimit r=0, closes the host until the time it names. Before a host has sent
// a policy nothing is limited (the first request of a download is the listing, alone).
// Thread-safe; callers pass the time (steady clock), so tests drive it with their own.
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace tabagent::hub {

struct ResponseHeaders;

// What one response's RateLimit / RateLimit-Policy headers say; absent fields did not parse.
struct RateLimitInfo {
    std::string resource;                // "api", "resolvers", ...
    std::optional<long> remaining;       // r
    std::optional<long> reset_seconds;   // t
    std::optional<long> limit;           // q (RateLimit-Policy)
    std::optional<long> window_seconds;  // w (RateLimit-Policy)
};

// Parses the two header values the way huggingface_hub does (`"<type>";r=<n>;t=<n>` and
// `q=<n>...w=<n>`); nullopt when neither parses.
std::optional<RateLimitInfo> parse_rate_limit(std::string_view ratelimit, std::string_view policy);

// The policy's window is widened by this much: requests travel, and the server counts arrivals.
// A second, not a round trip: what matters is how much two requests' travel times can differ
// (a phone link, a loaded machine), and against the Hub's 300 s window a second costs 0.3 %.
inline constexpr std::chrono::milliseconds k_budget_margin{1000};
// Request times kept per host before any policy is known (so the window a policy arrives in
// counts the requests already sent in it).
inline constexpr std::size_t k_budget_history = 4096;

class HostBudgets {
public:
    using Clock = std::chrono::steady_clock;

    // Takes one request of `origin`'s budget (hub::url_origin form) at `now`: nullopt when it may
    // go now (and is counted), else how long until one may (nothing is counted).
    std::optional<Clock::duration> acquire(const std::string& origin, Clock::time_point now);
    // What a response from `origin` said: its status and headers (RateLimit, RateLimit-Policy,
    // Retry-After on 429/503).
    void observe(const std::string& origin, long status, const ResponseHeaders& headers, Clock::time_point now);
    // The same from parsed values (retry_after in seconds).
    void observe(const std::string& origin, long status, const std::optional<RateLimitInfo>& info,
                 std::optional<double> retry_after, Clock::time_point now);
    // How long `origin` is closed from `now` (Retry-After, r=0, or a spent budget); zero when a
    // request may go. Counts nothing.
    Clock::duration wait_for(const std::string& origin, Clock::time_point now) const;
    // The policy learnt for `origin`: {q, w seconds}; nullopt before one arrived.
    std::optional<std::pair<long, long>> policy(const std::string& origin) const;

private:
    struct Host {
        std::optional<long> limit;
        Clock::duration window{};
        std::deque<Clock::time_point> sent; // times requests went, ascending
        Clock::time_point closed_until{};
    };
    Clock::duration wait_locked(const Host& host, Clock::time_point now) const;

    mutable std::mutex m_mutex;
    std::map<std::string, Host, std::less<>> m_hosts;
};

} // namespace tabagent::hub
