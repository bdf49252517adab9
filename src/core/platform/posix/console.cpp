// platform/console.hpp on Linux and macOS: streams, terminals, pipes.
#include "core/platform/console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace tabagent::platform {

int descriptor_of(std::FILE* stream) { return ::fileno(stream); }

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

std::optional<int> terminal_width(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return std::nullopt;
    return static_cast<int>(ws.ws_col);
}

bool enable_vt_sequences(int fd) { return is_terminal(fd); }

void set_binary_mode(int) {}

std::optional<std::size_t> grow_pipe_buffer([[maybe_unused]] int fd, [[maybe_unused]] std::size_t bytes) {
#ifdef F_SETPIPE_SZ
    int got = ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(std::min<std::size_t>(bytes, 1u << 30)));
    if (got < 0) got = ::fcntl(fd, F_GETPIPE_SZ); // over pipe-max-size (EPERM): keep what it has
    if (got > 0) return static_cast<std::size_t>(got);
#endif
    return std::nullopt;
}

Result<std::size_t> read_some(int fd, std::span<char> out) {
    while (true) {
        const ssize_t n = ::read(fd, out.data(), out.size());
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) return fail(ErrorCode::internal, std::string("read failed: ") + std::strerror(errno));
    }
}

Status write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(ErrorCode::internal, std::string("write failed: ") + std::strerror(errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    pollfd pfd{fd, POLLIN, 0};
    const int ms = static_cast<int>(std::min<long long>(timeout.count(), 0x7fffffff));
    while (true) {
        const int rc = ::poll(&pfd, 1, ms); // an EINTR restarts the whole wait: rare, and harmless
        if (rc < 0 && errno == EINTR) continue;
        return rc > 0;
    }
}

void Descriptor::reset(int fd) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = fd;
}

Result<Pipe> open_pipe() {
    int fds[2] = {-1, -1};
#if !defined(TABAGENT_POSIX_FALLBACKS) && defined(__linux__)
    const bool ok = ::pipe2(fds, O_CLOEXEC) == 0;
#else
    // macOS has no pipe2: the flag is set right after (a fork in between would leak the ends).
    const bool ok = ::pipe(fds) == 0 && ::fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 &&
                    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0;
#endif
    Pipe pipe{Descriptor(fds[0]), Descriptor(fds[1])};
    if (!ok) return fail(ErrorCode::internal, std::string("cannot create a pipe: ") + std::strerror(errno));
    return pipe;
}

} // namespace tabagent::platform
