#include "core/util/speed_meter.hpp"

namespace tabagent::util {

SpeedMeter::SpeedMeter(std::chrono::milliseconds window, std::chrono::milliseconds min_span)
    : m_window(window), m_min_span(min_span) {}

void SpeedMeter::record(std::uint64_t total, Clock::time_point now) {
    if (!m_samples.empty() && (total < m_samples.back().second || now < m_samples.back().first)) reset();
    m_samples.emplace_back(now, total);
    // Keep one sample at or before the window's start, so the rate always spans the window.
    while (m_samples.size() > 2 && now - m_samples[1].first >= m_window) m_samples.pop_front();
    const auto& [since, at] = m_samples.front();
    const auto span = now - since;
    if (span >= m_min_span)
        m_rate = static_cast<double>(total - at) / std::chrono::duration<double>(span).count();
}

std::optional<double> SpeedMeter::eta_seconds(std::uint64_t remaining) const {
    if (m_rate <= 1) return std::nullopt;
    return static_cast<double>(remaining) / m_rate;
}

void SpeedMeter::reset() {
    m_samples.clear();
    m_rate = 0;
}

} // namespace tabagent::util
