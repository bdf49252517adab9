#pragma once
// Ctrl-C (SIGINT and SIGTERM on POSIX, the console's Ctrl-C and Ctrl-Break on Windows) while long
// work runs: platform::InterruptWatch wakes a watcher thread, which turns it into a stop request
// and a callback. The first one asks the work to stop cleanly; a second one gets the default
// action (terminate).
#include "core/platform/console.hpp"

#include <atomic>
#include <functional>
#include <memory>
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
    std::unique_ptr<platform::InterruptWatch> m_watch; // null: Ctrl-C keeps its default action
    std::stop_source m_source;
    std::atomic<bool> m_interrupted{false};
    std::function<void()> m_on_interrupt;
    std::jthread m_watcher;
};

} // namespace tabagent::cli
