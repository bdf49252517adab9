// platform/spawn.hpp, POSIX side: posix_spawn with two pipes and poll(2), all of which macOS has.
#include "core/platform/spawn.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace tabagent::platform {
namespace {
using Clock = std::chrono::steady_clock;

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd& operator=(UniqueFd&&) = delete;
    ~UniqueFd() { reset(); }
    int get() const { return m_fd; }
    void reset() {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd;
};

struct Pipe {
    UniqueFd read_end, write_end;
};

// pipe(2) with both ends close-on-exec (pipe2 is Linux-only): only the dup2'd copies reach
// the child, so other children never hold our ends open.
Result<Pipe> make_pipe() {
    int fds[2];
    if (::pipe(fds) != 0) return fail(ErrorCode::internal, std::string("pipe failed: ") + std::strerror(errno));
    Pipe p{UniqueFd(fds[0]), UniqueFd(fds[1])};
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return Result<Pipe>(std::move(p));
}

// A child that exits before reading its stdin turns our write() into SIGPIPE, which kills a
// process that has not ignored it. Blocked for this thread during the exchange and a pending one
// discarded afterwards: the portable form of MSG_NOSIGNAL for pipes (macOS has no sigtimedwait).
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&m_set);
        sigaddset(&m_set, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        m_was_pending = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
    }
    ~SigpipeGuard() {
        sigset_t pending;
        sigpending(&pending);
        if (!m_was_pending && sigismember(&pending, SIGPIPE) == 1) {
            int signal_number = 0;
            sigwait(&m_set, &signal_number);
        }
        pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t m_set{}, m_old{};
    bool m_was_pending = false;
};

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

// Feeds `input` and reads stdout until complete/EOF/deadline. Returns true on a timeout.
bool exchange(UniqueFd& stdin_writer, int out_fd, const SpawnRequest& request, Clock::time_point deadline,
              std::string& output) {
    // With `complete`, stdin stays open until the reply is whole (spawn.hpp): the child may hold
    // something (a lock, a connection) until its stdin closes; once written it only leaves the poll
    // set (fd -1). Without, EOF follows the input, so a child reading to the end can answer.
    std::string_view pending = request.input;
    if (pending.empty() && !request.complete) stdin_writer.reset();
    char buffer[16384];
    for (;;) {
        pollfd fds[2] = {{out_fd, POLLIN, 0}, {pending.empty() ? -1 : stdin_writer.get(), POLLOUT, 0}};
        int ready = ::poll(fds, 2, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return true;
        if (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t n = ::write(stdin_writer.get(), pending.data(), pending.size());
            if (n > 0) pending.remove_prefix(static_cast<std::size_t>(n));
            if (n < 0 && errno != EINTR && errno != EAGAIN) pending = {};
            if (pending.empty() && !request.complete) stdin_writer.reset();
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(out_fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false; // EOF (or a broken pipe): the child is done writing
            output.append(buffer, static_cast<std::size_t>(n));
            if (request.complete && request.complete(output)) return false;
        }
    }
}

// After the exchange: wait for the child's stdout to close (it exits on stdin EOF), then reap
// it; a child still running at the deadline is killed.
void finish_child(pid_t pid, int out_fd, Clock::time_point deadline, bool kill_now) {
    char sink[4096];
    while (!kill_now) {
        pollfd pfd{out_fd, POLLIN, 0};
        int ready = ::poll(&pfd, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        ssize_t n = ::read(out_fd, sink, sizeof sink);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
}
} // namespace

Result<SpawnOutcome> run_exchange(const SpawnRequest& request) {
    auto in_pipe = make_pipe();
    if (!in_pipe) return tl::unexpected(in_pipe.error());
    auto out_pipe = make_pipe();
    if (!out_pipe) return tl::unexpected(out_pipe.error());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe->read_end.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe->write_end.get(), 1);
    std::string program = request.program.string();
    std::vector<char*> argv{program.data()};
    for (const auto& a : request.args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    in_pipe->read_end.reset();
    out_pipe->write_end.reset();
    if (rc != 0) return fail(ErrorCode::internal, std::string("cannot start: ") + std::strerror(rc));

    const auto deadline = Clock::now() + request.timeout;
    SpawnOutcome outcome;
    SigpipeGuard no_sigpipe;
    outcome.timed_out = exchange(in_pipe->write_end, out_pipe->read_end.get(), request, deadline, outcome.output);
    in_pipe->write_end.reset(); // EOF on the child's stdin: a native-messaging host exits
    const auto grace = Clock::now() + std::min<std::chrono::milliseconds>(request.timeout, std::chrono::seconds(2));
    finish_child(pid, out_pipe->read_end.get(), grace, outcome.timed_out);
    return outcome;
}

bool is_executable(const std::filesystem::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

} // namespace tabagent::platform
