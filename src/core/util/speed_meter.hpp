#pragma once
// The one speed/ETA estimate of the product: bytes per second over a sliding time window, fed
// with an ever-growing byte counter and the time it was read. The caller passes the time, so
// the meter is pure (tests feed it a fake clock). Used for a job's events, the CLI's bars and a
// connection's recent speed in the engine.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace tabagent::util {

class SpeedMeter {
public:
    using Clock = std::chrono::steady_clock;

    // `window`: how far back a rate looks; `min_span`: how much history a first rate needs
    // (a rate over a few milliseconds is noise).
    explicit SpeedMeter(std::chrono::milliseconds window = std::chrono::seconds(3),
                        std::chrono::milliseconds min_span = std::chrono::milliseconds(200));

    // `total` is the counter's value at `now` (bytes so far, never decreasing; a smaller value
    // starts the meter over, e.g. after an integrity retry).
    void record(std::uint64_t total, Clock::time_point now);
    // Bytes per second over the window ending at the last record; 0 until min_span is covered.
    double bytes_per_second() const { return m_rate; }
    // Seconds to move `remaining` more bytes at the current rate; none while the rate is unknown.
    std::optional<double> eta_seconds(std::uint64_t remaining) const;
    void reset();

private:
    std::chrono::milliseconds m_window, m_min_span;
    std::deque<std::pair<Clock::time_point, std::uint64_t>> m_samples;
    double m_rate = 0;
};

} // namespace tabagent::util
