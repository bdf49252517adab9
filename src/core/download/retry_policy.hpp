#pragma once
// When a failed connection of a transfer is tried again, and when the transfer gives up
// (DESIGN §7: exponential backoff with jitter, Retry-After honoured). Pure: the caller passes
// the time and the random generator (seeded by the engine; tests fix the seed).
//
// Failures are counted per transfer, in epochs: every failure that is counted starts a new
// epoch, and a failure of a connection opened in an older epoch (its siblings failing together
// when the server goes down) is not counted again. A connection that moved enough bytes resets
// the count: a long download survives any number of spread-out hiccups.
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <random>

namespace tabagent::download {

// A connection that moved at least this many bytes made progress (resets the failure count).
inline constexpr std::uint64_t k_progress_resets_failures = 256u << 10;

struct RetryOptions {
    int max_attempts = 6; // consecutive counted failures before giving up
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_cap{30'000};
};

// What one failed connection did before it failed.
struct FailedAttempt {
    std::uint64_t received = 0; // body bytes it wrote
    std::uint64_t epoch = 0;    // the policy's epoch when it was opened
    bool via_redirect_target = false; // it fetched a remembered (signed CDN) redirect URL
};

// Whether trying again can help: hub::is_retryable, and any refusal (>= 400) of a signed CDN URL,
// which may have expired: the retry goes through the resolve URL again.
bool download_retryable(const Error& error, bool via_redirect_target);

class RetryPolicy {
public:
    using Clock = std::chrono::steady_clock;

    enum class Action {
        give_up, // final error (details["attempts"] added when attempts ran out)
        wait,    // retry after `delay` (not_before() moved)
        ignore,  // a stale connection of an epoch that already backed off: nothing to do
    };
    struct Decision {
        Action action = Action::give_up;
        double delay_ms = 0;
    };

    explicit RetryPolicy(RetryOptions options) : m_options(options) {}

    std::uint64_t epoch() const { return m_epoch; }
    int failures() const { return m_failures; }
    // No connection of the transfer opens before this time.
    Clock::time_point not_before() const { return m_not_before; }
    bool waiting(Clock::time_point now) const { return now < m_not_before; }
    // Resume after pause: open at once, whatever backoff was pending.
    void open_now(Clock::time_point now) { m_not_before = now; }

    // A connection fetched its whole range; progress (enough bytes, or the end of what it asked)
    // resets the failure count.
    void succeeded(std::uint64_t received, bool reached_requested_end);
    Decision failed(Error& error, const FailedAttempt& attempt, Clock::time_point now,
                    std::mt19937_64& random);
    // The integrity retry fetches the file again from scratch: a fresh count, a new epoch.
    void start_over();

    // Retry-After when the error carries one, else min(cap, base * 2^(failures - 1)) times a
    // jitter in [0.5, 1).
    double delay_ms(const Error& error, int failures, std::mt19937_64& random) const;

private:
    RetryOptions m_options;
    int m_failures = 0;
    std::uint64_t m_epoch = 0;
    Clock::time_point m_not_before{};
};

} // namespace tabagent::download
