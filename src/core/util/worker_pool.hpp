#pragma once
// Up to `max_threads` threads draining one FIFO of tasks: the host's request lanes, the download
// runner's publishers. Every queued task runs before the threads end. Threads start when work
// finds none idle, not up front: most starts of the host only ever see quick requests, and each
// thread created before the first reply delays it. `drain` waits for queued work with a deadline
// so that EOF on stdin can still answer what was already read.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tabagent::util {

class WorkerPool {
public:
    explicit WorkerPool(int max_threads);
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
    std::size_t m_waiting = 0; // threads blocked waiting for a task
    const std::size_t m_max_threads;
    std::vector<std::jthread> m_threads; // last: joined first on destruction
};

} // namespace tabagent::util
