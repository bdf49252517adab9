#pragma once
// A stop flag that sleepers (stall faults, rate pacing) wait on, so shutdown never waits for them.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tabagent::fakehub {

class StopSignal {
public:
    void request_stop() {
        {
            std::lock_guard lock(m_mutex);
            m_stopped = true;
        }
        m_cv.notify_all();
    }
    bool stopped() const {
        std::lock_guard lock(m_mutex);
        return m_stopped;
    }
    // Sleeps until `deadline`; false when a stop came first.
    template <class Clock, class Dur> bool sleep_until(std::chrono::time_point<Clock, Dur> deadline) {
        std::unique_lock lock(m_mutex);
        return !m_cv.wait_until(lock, deadline, [this] { return m_stopped; });
    }
    // Blocks until a stop is requested.
    void wait() {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return m_stopped; });
    }

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopped = false;
};

} // namespace tabagent::fakehub
