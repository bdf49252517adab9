#pragma once
// A fixed set of threads draining one FIFO of tasks. `drain` waits for queued work with a
// deadline so that EOF on stdin can still answer what was already read.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tabagent::host {

class WorkerPool {
public:
    explicit WorkerPool(int threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(std::function<void()> task);
    // True when every queued and running task finished before the deadline.
    bool drain(std::chrono::steady_clock::time_point deadline);

private:
    void run(std::stop_token stop);

    std::mutex m_mutex;
    std::condition_variable_any m_cv;
    std::condition_variable_any m_idle;
    std::deque<std::function<void()>> m_tasks;
    int m_running = 0;
    std::vector<std::jthread> m_threads; // last: joined first on destruction
};

} // namespace tabagent::host
