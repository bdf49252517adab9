#pragma once
// Rate-limit mode: the Hub's request budget per client, as huggingface.co announces it (hub-docs
// docs/hub/rate-limits.md; header format as huggingface_hub >= 1.2 parses it in utils/_http.py
// parse_ratelimit_headers, IETF draft-ietf-httpapi-ratelimit-headers-09):
//     RateLimit-Policy: "fixed window";"api";q=<budget>;w=<window s>
//     RateLimit: "api";r=<left>;t=<s until the window resets>
// on every counted response, and 429 with Retry-After once a window's budget is spent. Windows
// are fixed, counted from the moment the mode is set. Every arrival counts, refused or not, so a
// test can check that a client never sent more than the budget allows.
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace tabagent::fakehub {

struct RateDecision {
    bool refused = false;
    long remaining = 0;     // r
    long reset_seconds = 0; // t, rounded up
    long budget = 0;        // q
    long window_seconds = 0; // w
};

class RateLimiter {
public:
    // {"budget": N >= 1, "window": W seconds >= 1, "endpoints": ["api", "resolve"]} (endpoints
    // default to both: one budget for the host, as the Hub's "api" and "resolvers" share a client);
    // throws std::invalid_argument on a bad body. Starts the first window now and clears counts.
    void configure(const nlohmann::json& body);
    void clear();
    // {"enabled", "budget", "window", "endpoints", "windows": [{"index","requests","refused"}],
    //  "max_requests", "refused"}
    nlohmann::json status() const;
    // A request arrived at `endpoint` ("api", "resolve", "cdn"): counts it and says whether it is
    // refused; nullopt when the mode is off or the endpoint is not limited.
    std::optional<RateDecision> arrive(const std::string& endpoint);

private:
    struct Window {
        long requests = 0;
        long refused = 0;
    };
    mutable std::mutex m_mutex;
    bool m_enabled = false;
    long m_budget = 0;
    long m_window_seconds = 0;
    std::set<std::string> m_endpoints;
    std::chrono::steady_clock::time_point m_start;
    std::map<long, Window> m_windows;
};

} // namespace tabagent::fakehub
