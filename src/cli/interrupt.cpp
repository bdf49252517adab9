#include "cli/interrupt.hpp"

namespace tabagent::cli {

InterruptGuard::InterruptGuard(std::function<void()> on_interrupt) : m_on_interrupt(std::move(on_interrupt)) {
    auto watch = platform::InterruptWatch::start();
    if (!watch) return; // Ctrl-C keeps its default action
    m_watch = std::move(*watch);
    m_watcher = std::jthread([this] {
        while (m_watch->wait()) {
            if (m_interrupted.exchange(true)) continue;
            m_watch->restore_default(); // a second Ctrl-C terminates at once
            m_source.request_stop();
            if (m_on_interrupt) m_on_interrupt();
        }
    });
}

InterruptGuard::~InterruptGuard() {
    if (!m_watch) return;
    m_watch->wake();
    if (m_watcher.joinable()) m_watcher.join();
    m_watch.reset(); // restores the default action
}

} // namespace tabagent::cli
