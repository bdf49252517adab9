#include "core/util/worker_pool.hpp"

#include <algorithm>

namespace tabagent::util {

WorkerPool::WorkerPool(int max_threads) : m_max_threads(static_cast<std::size_t>(std::max(1, max_threads))) {}

WorkerPool::~WorkerPool() {
    for (auto& t : m_threads) t.request_stop();
    m_cv.notify_all();
}

void WorkerPool::submit(std::function<void()> task) {
    std::lock_guard lock(m_mutex);
    m_tasks.push_back(std::move(task));
    if (m_waiting < m_tasks.size() && m_threads.size() < m_max_threads)
        m_threads.emplace_back([this](std::stop_token st) { run(st); });
    else
        m_cv.notify_one();
}

bool WorkerPool::drain(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_mutex);
    return m_idle.wait_until(lock, deadline, [&] { return m_tasks.empty() && m_running == 0; });
}

void WorkerPool::run(std::stop_token stop) {
    std::unique_lock lock(m_mutex);
    while (true) {
        ++m_waiting;
        m_cv.wait(lock, stop, [&] { return !m_tasks.empty(); });
        --m_waiting;
        if (m_tasks.empty()) return;
        auto task = std::move(m_tasks.front());
        m_tasks.pop_front();
        ++m_running;
        lock.unlock();
        task();
        lock.lock();
        --m_running;
        m_idle.notify_all();
    }
}

} // namespace tabagent::util
