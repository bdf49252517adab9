#include "core/download/rate_bucket.hpp"

#include <algorithm>

namespace tabagent::download {

void RateBucket::set_rate(std::uint64_t bytes_per_second, Clock::time_point now) {
    m_rate = bytes_per_second;
    m_tokens = 0;
    m_last = now;
}

void RateBucket::refill(Clock::time_point now) {
    if (m_rate == 0) return;
    const double elapsed = std::chrono::duration<double>(now - m_last).count();
    m_last = now;
    const double cap = std::max(static_cast<double>(m_rate) / 10.0, 64.0 * 1024);
    m_tokens = std::min(cap, m_tokens + elapsed * static_cast<double>(m_rate));
}

bool RateBucket::take(std::size_t bytes) {
    if (m_rate == 0) return true;
    if (m_tokens <= 0) return false;
    m_tokens -= static_cast<double>(bytes);
    return true;
}

int RateBucket::wait_ms() const {
    const double wait = -m_tokens / static_cast<double>(std::max<std::uint64_t>(m_rate, 1)) * 1000.0;
    return std::clamp(static_cast<int>(wait) + 1, 1, 100);
}

} // namespace tabagent::download
