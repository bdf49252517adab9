#include "core/download/connection_governor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tabagent::download {
namespace {

// A probe is kept when it gained at least this share of what the added connections would give
// at the old per-connection rate (a capped server gives ~1; a shared pipe ~0).
constexpr double k_keep_share = 0.5;
// Windows measured per phase: the lower of two, so a burst (a window that catches bytes of the
// one before) does not inflate the base every probe is judged against.
constexpr int k_windows = 2;
// A first byte this much slower than usual (and at least k_slow_first_byte_s) means queueing.
constexpr double k_slow_first_byte_factor = 4.0;
constexpr double k_slow_first_byte_s = 1.0;

double mb(double bytes_per_second) { return bytes_per_second / 1e6; }

} // namespace

ConnectionGovernor::ConnectionGovernor(GovernorOptions options)
    : m_options(options), m_limit(std::clamp(options.start, 1, std::max(options.ceiling, 1))) {
    m_options.ceiling = std::max(m_options.ceiling, 1);
    m_options.step = std::max(m_options.step, 1);
}

void ConnectionGovernor::enter(Phase phase, Clock::time_point now) {
    m_phase = phase;
    m_windows = 0;
    m_low.reset();
    if (phase != Phase::probe) m_slow_first_byte = false; // a probe's ramp window counts for it
    if (phase == Phase::hold) m_hold_until = now + m_options.hold;
}

void ConnectionGovernor::tick(Clock::time_point now, std::uint64_t received, bool busy) {
    if (!m_started) {
        m_started = true;
        m_window_start = now;
        m_window_bytes = received;
        return;
    }
    m_window_busy = m_window_busy && busy;
    if (now - m_window_start < m_options.window) return;
    const double seconds = std::chrono::duration<double>(now - m_window_start).count();
    const double rate = static_cast<double>(received - m_window_bytes) / seconds;
    const bool judged = m_window_busy;
    m_window_start = now;
    m_window_bytes = received;
    m_window_busy = true;
    if (m_phase == Phase::hold) {
        if (now >= m_hold_until) enter(Phase::measure, now);
        return;
    }
    if (!judged) { // idle or a tail: nothing to learn, and a probe in flight is off
        if (m_phase == Phase::probe || m_phase == Phase::ramp) {
            m_limit = m_base_limit;
            enter(Phase::measure, now);
        } else {
            m_windows = 0;
            m_low.reset();
        }
        return;
    }
    judge(now, rate);
}

void ConnectionGovernor::judge(Clock::time_point now, double rate) {
    if (m_phase == Phase::ramp) { // the new connections' first window: their requests start
        enter(Phase::probe, now);
        return;
    }
    m_low = std::min(m_low.value_or(rate), rate);
    if (++m_windows < k_windows) return;
    const double measured = *m_low;
    if (m_phase == Phase::measure) {
        m_base = measured;
        m_base_limit = m_limit;
        if (m_limit >= m_options.ceiling) {
            enter(Phase::hold, now);
            return;
        }
        m_limit = std::min(m_options.ceiling, m_limit + m_options.step);
        spdlog::debug("download: {:.1f} MB/s at {} connections; trying {}", mb(measured), m_base_limit, m_limit);
        enter(Phase::ramp, now);
        return;
    }
    // probe: judged against the base at the old count
    const double added = static_cast<double>(m_limit - m_base_limit);
    const double expected = m_base / m_base_limit * added;
    const double gain = measured - m_base;
    if (!m_slow_first_byte && gain >= k_keep_share * expected) {
        spdlog::debug("download: {} connections give {:.1f} MB/s (was {:.1f} at {}); keeping them", m_limit,
                      mb(measured), mb(m_base), m_base_limit);
        m_base = measured;
        m_base_limit = m_limit;
        enter(Phase::measure, now);
        m_low = measured; // this probe's windows count for the next base
        m_windows = k_windows - 1;
        return;
    }
    spdlog::debug("download: {} connections give {:.1f} MB/s (was {:.1f} at {}){}; back to {}", m_limit, mb(measured),
                  mb(m_base), m_base_limit, m_slow_first_byte ? ", first bytes slow" : "", m_base_limit);
    m_limit = m_base_limit;
    enter(Phase::hold, now);
}

void ConnectionGovernor::first_byte(Clock::time_point, double seconds) {
    if ((m_phase == Phase::ramp || m_phase == Phase::probe) && m_first_byte > 0 &&
        seconds > std::max(k_slow_first_byte_s, k_slow_first_byte_factor * m_first_byte))
        m_slow_first_byte = true;
    m_first_byte = m_first_byte == 0 ? seconds : 0.9 * m_first_byte + 0.1 * seconds;
}

void ConnectionGovernor::overloaded(Clock::time_point now) {
    const int halved = std::max(1, (m_phase == Phase::ramp || m_phase == Phase::probe ? m_base_limit : m_limit) / 2);
    if (halved < m_limit) spdlog::info("download: the server is overloaded (429/503); {} connections at most", halved);
    m_limit = std::min(m_limit, halved);
    enter(Phase::hold, now);
}

} // namespace tabagent::download
