#include "core/download/retry_policy.hpp"

#include "core/hub/errors.hpp"

#include <algorithm>
#include <cmath>

namespace tabagent::download {

bool download_retryable(const Error& error, bool via_redirect_target) {
    return hub::is_retryable(error) || (via_redirect_target && error.http_status >= 400);
}

void RetryPolicy::succeeded(std::uint64_t received, bool reached_requested_end) {
    if (received >= k_progress_resets_failures || reached_requested_end) m_failures = 0;
}

RetryPolicy::Decision RetryPolicy::failed(Error& error, const FailedAttempt& attempt,
                                          Clock::time_point now, std::mt19937_64& random) {
    if (!download_retryable(error, attempt.via_redirect_target)) return {Action::give_up, 0};
    if (attempt.received >= k_progress_resets_failures) m_failures = 0;
    if (attempt.epoch != m_epoch) return {Action::ignore, 0};
    ++m_failures;
    ++m_epoch;
    if (m_failures >= m_options.max_attempts) {
        error.details["attempts"] = m_failures;
        return {Action::give_up, 0};
    }
    const double delay = delay_ms(error, m_failures, random);
    m_not_before = std::max(m_not_before,
                            now + std::chrono::milliseconds(static_cast<long long>(delay)));
    return {Action::wait, delay};
}

void RetryPolicy::start_over() {
    m_failures = 0;
    ++m_epoch;
}

double RetryPolicy::delay_ms(const Error& error, int failures, std::mt19937_64& random) const {
    if (error.details.contains("retry_after"))
        return error.details.at("retry_after").get<double>() * 1000.0;
    const double base = static_cast<double>(m_options.backoff_base.count());
    const double cap = static_cast<double>(m_options.backoff_cap.count());
    const double exp = std::min(cap, base * std::pow(2.0, failures - 1));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return exp * jitter(random);
}

} // namespace tabagent::download
