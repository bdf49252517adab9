#pragma once
// How many connections the engine keeps open (DESIGN §7: "chosen adaptively: more while the
// aggregate grows and the server answers 206 quickly; fewer on 429/503 or falling per-connection
// rates; ceiling default 32"). A server that caps each connection (a CDN's per-request rate
// limit) gives more in all for more connections, until the link or the disk is the limit; a
// server that shares a fixed pipe gives the same in all and only costs more requests.
//
// The governor measures the engine's aggregate body rate in windows while every allowed
// connection is busy and more are wanted. From `start` it probes `step` more; it keeps them when
// the aggregate grew by at least half of what the added share would give at the old
// per-connection rate, and otherwise goes back and waits `hold` before it probes again. A 429 or
// 503 halves the count; a first byte far slower than usual during a probe ends the probe (the
// server is queueing the new requests). Pure: time, bytes and events are passed in.
#include <chrono>
#include <cstdint>
#include <optional>

namespace tabagent::download {

struct GovernorOptions {
    int start = 16;   // connections before anything is measured
    int ceiling = 32; // never more
    int step = 8;     // connections added per probe
    std::chrono::milliseconds window{250};
    std::chrono::milliseconds hold{10'000}; // after a failed probe or a back-off
};

class ConnectionGovernor {
public:
    using Clock = std::chrono::steady_clock;

    explicit ConnectionGovernor(GovernorOptions options);

    int limit() const { return m_limit; }
    int ceiling() const { return m_options.ceiling; }

    // Once per loop turn. `received`: body bytes the engine received so far (all transfers);
    // `busy`: every allowed connection is open and the transfers want more (otherwise the window
    // says nothing about what more connections would give, and is not judged).
    void tick(Clock::time_point now, std::uint64_t received, bool busy);
    // A new connection's wait for its first byte, in seconds.
    void first_byte(Clock::time_point now, double seconds);
    // The server answered 429 or 503.
    void overloaded(Clock::time_point now);

private:
    enum class Phase { measure, ramp, probe, hold };
    void judge(Clock::time_point now, double rate);
    void enter(Phase phase, Clock::time_point now);

    GovernorOptions m_options;
    int m_limit;
    Phase m_phase = Phase::measure;
    Clock::time_point m_window_start{};
    std::uint64_t m_window_bytes = 0;
    bool m_window_busy = true;
    bool m_started = false;
    int m_windows = 0;              // judged windows in this phase
    std::optional<double> m_low;    // the lower rate of this phase's windows
    double m_base = 0;              // aggregate at m_base_limit
    int m_base_limit = 0;
    double m_first_byte = 0;        // moving average of first-byte waits, seconds
    bool m_slow_first_byte = false; // seen during the probe
    Clock::time_point m_hold_until{};
};

} // namespace tabagent::download
