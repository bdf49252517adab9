#pragma once
// Ctrl-C (SIGINT) and SIGTERM while long work runs: the handler only writes a byte to a pipe
// (async-signal-safe); a watcher thread turns it into a stop request and a callback. The first
// signal asks the work to stop cleanly; a second one gets the default action (terminate).
#include <atomic>
#include <functional>
#include <stop_token>
#include <thread>

namespace tabagent::cli {

class InterruptGuard {
public:
    // on_interrupt runs on the watcher thread, once.
    explicit InterruptGuard(std::function<void()> on_interrupt = {});
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    std::stop_token stop_token() const { return m_source.get_token(); }
    bool interrupted() const { return m_interrupted.load(); }

private:
    int m_pipe[2] = {-1, -1};
    std::stop_source m_source;
    std::atomic<bool> m_interrupted{false};
    std::function<void()> m_on_interrupt;
    std::jthread m_watcher;
};

} // namespace tabagent::cli
