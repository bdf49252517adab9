#include "cli/interrupt.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace tabagent::cli {
namespace {
std::atomic<int> g_write_fd{-1};

void on_signal(int) {
    int saved = errno;
    int fd = g_write_fd.load();
    if (fd >= 0) {
        char c = 'i';
        [[maybe_unused]] auto n = ::write(fd, &c, 1);
    }
    errno = saved;
}

void set_handler(void (*handler)(int)) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}
} // namespace

InterruptGuard::InterruptGuard(std::function<void()> on_interrupt) : m_on_interrupt(std::move(on_interrupt)) {
    if (::pipe2(m_pipe, O_CLOEXEC) != 0) return; // no pipe: Ctrl-C keeps its default action
    g_write_fd.store(m_pipe[1]);
    set_handler(on_signal);
    m_watcher = std::jthread([this] {
        char c = 0;
        while (true) {
            ssize_t n = ::read(m_pipe[0], &c, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0 || c == 'q') return;
            if (c == 'i' && !m_interrupted.exchange(true)) {
                set_handler(SIG_DFL); // a second Ctrl-C terminates at once
                m_source.request_stop();
                if (m_on_interrupt) m_on_interrupt();
            }
        }
    });
}

InterruptGuard::~InterruptGuard() {
    if (m_pipe[1] < 0) return;
    if (!m_interrupted.load()) set_handler(SIG_DFL);
    g_write_fd.store(-1);
    char q = 'q';
    [[maybe_unused]] auto n = ::write(m_pipe[1], &q, 1);
    if (m_watcher.joinable()) m_watcher.join();
    ::close(m_pipe[0]);
    ::close(m_pipe[1]);
}

} // namespace tabagent::cli
