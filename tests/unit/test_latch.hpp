#pragma once
// std::latch's interface on a mutex and a condition variable. libstdc++ 12 builds std::latch on its
// atomic wait, which without a futex (MinGW, so the Windows build under Wine) can lose a wake-up
// and wait for good (bits/atomic_wait.h: the waiter reads the counter, then waits on a condition
// variable the notifier signals without its mutex). The toolchain define that moves
// std::binary_semaphore to sem_t (cmake/toolchains/mingw-w64-x86_64.cmake) does not reach latch.
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace tabagent::test {

class Latch {
public:
    explicit Latch(std::ptrdiff_t count) : m_count(count) {}
    Latch(const Latch&) = delete;
    Latch& operator=(const Latch&) = delete;

    void count_down(std::ptrdiff_t n = 1) {
        std::lock_guard lock(m_mutex);
        m_count -= n;
        if (m_count <= 0) m_zero.notify_all();
    }
    void wait() {
        std::unique_lock lock(m_mutex);
        m_zero.wait(lock, [this] { return m_count <= 0; });
    }
    void arrive_and_wait() {
        count_down();
        wait();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_zero;
    std::ptrdiff_t m_count;
};

} // namespace tabagent::test
