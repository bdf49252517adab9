#pragma once
// The optional global rate limit of the download engine: one token bucket shared by every
// connection. Tokens may go negative (libcurl hands over a whole buffer at once); a connection
// that finds the bucket empty pauses itself until a refill makes it positive again. Pure: the
// caller passes the time.
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tabagent::download {

class RateBucket {
public:
    using Clock = std::chrono::steady_clock;

    RateBucket(std::uint64_t bytes_per_second, Clock::time_point now) { set_rate(bytes_per_second, now); }

    // 0 = off. Starts empty, so a new limit applies from the next byte on.
    void set_rate(std::uint64_t bytes_per_second, Clock::time_point now);
    std::uint64_t rate() const { return m_rate; }
    bool enabled() const { return m_rate > 0; }
    // Adds the tokens earned since the last refill, up to a burst of max(rate / 10, 64 KiB).
    void refill(Clock::time_point now);
    // Before writing `bytes`: false when the bucket is empty (the writer pauses and nothing is
    // taken); otherwise takes them all, possibly going negative. Always true when off.
    bool take(std::size_t bytes);
    bool has_tokens() const { return m_tokens > 0; }
    double tokens() const { return m_tokens; }
    // Milliseconds until the bucket is positive again, in [1, 100] (a poll timeout).
    int wait_ms() const;

private:
    std::uint64_t m_rate = 0;
    double m_tokens = 0;
    Clock::time_point m_last{};
};

} // namespace tabagent::download
