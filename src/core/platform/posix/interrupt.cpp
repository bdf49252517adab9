// platform::InterruptWatch on Linux and macOS: SIGINT and SIGTERM write one byte into a
// self-pipe (write(2) is async-signal-safe); wait() reads it on an ordinary thread.
#include "core/platform/console.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>

namespace tabagent::platform {

struct InterruptWatch::State {
    Pipe pipe;
};

namespace {
std::atomic<int> g_write_fd{-1};

void on_signal(int) {
    const int saved = errno;
    if (const int fd = g_write_fd.load(); fd >= 0) {
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

InterruptWatch::InterruptWatch(std::unique_ptr<State> state) : m_state(std::move(state)) {}

Result<std::unique_ptr<InterruptWatch>> InterruptWatch::start() {
    auto pipe = open_pipe();
    if (!pipe) return tl::unexpected(pipe.error());
    auto state = std::make_unique<State>();
    state->pipe = std::move(*pipe);
    g_write_fd.store(state->pipe.write_end.get());
    set_handler(on_signal);
    return std::unique_ptr<InterruptWatch>(new InterruptWatch(std::move(state)));
}

InterruptWatch::~InterruptWatch() {
    restore_default();
    g_write_fd.store(-1);
}

bool InterruptWatch::wait() {
    char c = 0;
    while (true) {
        const ssize_t n = ::read(m_state->pipe.read_end.get(), &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == 'q') return false;
        if (c == 'i') return true;
    }
}

void InterruptWatch::wake() {
    char q = 'q';
    [[maybe_unused]] auto n = ::write(m_state->pipe.write_end.get(), &q, 1);
}

void InterruptWatch::restore_default() { set_handler(SIG_DFL); }

} // namespace tabagent::platform
