#include "host/http/socket_io.hpp"

#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <limits>

namespace tabagent::host::http {
namespace {

// sendfile moves at most this much per call anyway (0x7ffff000); asking for less keeps off_t
// arithmetic obviously in range.
constexpr std::uint64_t k_sendfile_step = 1ULL << 30;

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

} // namespace

Io wait_ready(int fd, short events, int wake_fd, Clock::time_point deadline) {
    while (true) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return Io::timeout;
        pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
        int timeout = static_cast<int>(std::min<long long>(left, std::numeric_limits<int>::max()));
        int n = ::poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR) return Io::closed;
        if (n <= 0) continue;
        if (fds[1].revents != 0) return Io::stopped;
        if (fds[0].revents & POLLNVAL) return Io::closed;
        if (fds[0].revents != 0) return Io::ok; // readiness, hang-up or error: the caller's call tells which
    }
}

Io receive_some(int fd, char* data, std::size_t capacity, std::size_t& received, int wake_fd, Clock::time_point deadline) {
    received = 0;
    while (true) {
        ssize_t n = ::recv(fd, data, capacity, 0);
        if (n > 0) {
            received = static_cast<std::size_t>(n);
            return Io::ok;
        }
        if (n == 0) return Io::closed;
        if (errno == EINTR) continue;
        if (!would_block(errno)) return Io::closed;
        if (auto w = wait_ready(fd, POLLIN, wake_fd, deadline); w != Io::ok) return w;
    }
}

Io send_all(int fd, std::string_view data, bool more, int wake_fd, std::chrono::milliseconds stall) {
    // MSG_NOSIGNAL: a client that hung up is an EPIPE to handle, not a signal to the process.
    const int flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0);
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), flags);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || !would_block(errno)) return Io::closed;
        if (auto w = wait_ready(fd, POLLOUT, wake_fd, Clock::now() + stall); w != Io::ok) return w;
    }
    return Io::ok;
}

Io send_file(int fd, int file, std::uint64_t offset, std::uint64_t length, int wake_fd, std::chrono::milliseconds stall) {
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) return Io::closed;
    auto pos = static_cast<off_t>(offset);
    std::uint64_t left = length;
    while (left > 0) {
        // sendfile has no MSG_NOSIGNAL: the server's threads block SIGPIPE instead (server.cpp).
        ssize_t n = ::sendfile(fd, file, &pos, static_cast<std::size_t>(std::min(left, k_sendfile_step)));
        if (n > 0) {
            left -= static_cast<std::uint64_t>(n); // pos was advanced by the kernel
            continue;
        }
        if (n == 0) return Io::closed; // end of file before the end of the range: the file shrank
        if (errno == EINTR) continue;
        if (!would_block(errno)) return Io::closed;
        if (auto w = wait_ready(fd, POLLOUT, wake_fd, Clock::now() + stall); w != Io::ok) return w;
    }
    return Io::ok;
}

} // namespace tabagent::host::http
