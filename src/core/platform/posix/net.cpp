// platform/net.hpp on POSIX (Linux, macOS). Linux-only calls (accept4, pipe2, SOCK_CLOEXEC,
// MSG_MORE, POLLRDHUP, sendfile) each have the fallback macOS also has; TABAGENT_POSIX_FALLBACKS
// forces the fallbacks on Linux (the asan preset) so that the tests run them.
#include "core/platform/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#if defined(__linux__) && !defined(TABAGENT_POSIX_FALLBACKS)
#define TABAGENT_LINUX_CALLS 1
#else
#define TABAGENT_LINUX_CALLS 0
#endif

namespace tabagent::platform {
namespace {

int fd_of(const Socket& s) { return static_cast<int>(s.native()); }

Error os_error(ErrorCode code, const char* what, int err = errno) {
    return Error{code, std::string(what) + ": " + std::strerror(err), {}};
}

bool would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

#if !TABAGENT_LINUX_CALLS
// The fallback's FD_CLOEXEC / O_NONBLOCK after the fact (what SOCK_CLOEXEC | SOCK_NONBLOCK do
// atomically on Linux). The window before FD_CLOEXEC matters only to a concurrent fork+exec.
bool set_flags(int fd, bool non_blocking) {
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return false;
    if (!non_blocking) return true;
    int fl = ::fcntl(fd, F_GETFL);
    return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}
#endif

// macOS has no MSG_NOSIGNAL for send(): the socket itself is told not to raise SIGPIPE.
void no_sigpipe([[maybe_unused]] int fd) {
#ifdef SO_NOSIGPIPE
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
}

Result<Socket> new_tcp_socket(bool non_blocking) {
#if TABAGENT_LINUX_CALLS
    Socket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0), 0));
    if (!s) return tl::unexpected(os_error(ErrorCode::internal, "socket"));
#else
    Socket s(::socket(AF_INET, SOCK_STREAM, 0));
    if (!s) return tl::unexpected(os_error(ErrorCode::internal, "socket"));
    if (!set_flags(fd_of(s), non_blocking)) return tl::unexpected(os_error(ErrorCode::internal, "fcntl"));
#endif
    no_sigpipe(fd_of(s));
    return s;
}

sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // never another interface
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    return addr;
}

} // namespace

void Socket::reset(NativeSocket s) {
    if (m_socket != k_no_socket) ::close(static_cast<int>(m_socket)); // EINTR: the fd is gone anyway (Linux)
    m_socket = s;
}

Result<Listener> listen_loopback(int backlog) {
    auto s = new_tcp_socket(true);
    if (!s) return tl::unexpected(s.error());
    sockaddr_in addr = loopback(0); // the kernel picks a free port
    if (::bind(fd_of(*s), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return tl::unexpected(os_error(ErrorCode::internal, "bind"));
    if (::listen(fd_of(*s), backlog) != 0) return tl::unexpected(os_error(ErrorCode::internal, "listen"));
    socklen_t len = sizeof addr;
    if (::getsockname(fd_of(*s), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return tl::unexpected(os_error(ErrorCode::internal, "getsockname"));
    return Listener{std::move(*s), ntohs(addr.sin_port)};
}

Result<Socket> connect_loopback(int port) {
    auto s = new_tcp_socket(false);
    if (!s) return s;
    sockaddr_in addr = loopback(port);
    int rc = 0;
    do {
        rc = ::connect(fd_of(*s), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return tl::unexpected(os_error(ErrorCode::network, "connect"));
    return s;
}

Result<Socket> accept(const Socket& listener) {
#if TABAGENT_LINUX_CALLS
    Socket s(::accept4(fd_of(listener), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
#else
    Socket s(::accept(fd_of(listener), nullptr, nullptr));
#endif
    if (!s) {
        int err = errno;
        // Nothing waiting, or a connection reset before it was taken: nothing to report.
        if (would_block(err) || err == EINTR || err == ECONNABORTED || err == EPROTO) return Socket{};
        return tl::unexpected(os_error(ErrorCode::internal, "accept", err));
    }
#if !TABAGENT_LINUX_CALLS
    if (!set_flags(fd_of(s), true)) return tl::unexpected(os_error(ErrorCode::internal, "fcntl"));
    no_sigpipe(fd_of(s));
#endif
    int one = 1; // small heads and error bodies should not wait for Nagle
    ::setsockopt(fd_of(s), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

Status set_non_blocking(const Socket& socket, bool on) {
    int fl = ::fcntl(fd_of(socket), F_GETFL);
    if (fl < 0 || ::fcntl(fd_of(socket), F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)) != 0)
        return tl::unexpected(os_error(ErrorCode::internal, "fcntl"));
    return {};
}

void shutdown(const Socket& socket, Shutdown how) {
    ::shutdown(fd_of(socket), how == Shutdown::send ? SHUT_WR : SHUT_RDWR);
}

Result<int> poll(std::span<PollItem> items, std::chrono::milliseconds timeout) {
    constexpr std::size_t k_max = 8; // the server polls two at a time
    if (items.size() > k_max) return fail(ErrorCode::internal, "poll: too many items");
    pollfd fds[k_max];
    for (std::size_t i = 0; i < items.size(); ++i) {
        short events = 0;
        if (items[i].want & k_readable) events |= POLLIN;
        if (items[i].want & k_writable) events |= POLLOUT;
        fds[i] = pollfd{static_cast<int>(items[i].handle), events, 0};
    }
    const auto ms = timeout.count() < 0 ? -1 : static_cast<int>(std::min<long long>(timeout.count(), INT_MAX));
    int n = ::poll(fds, static_cast<nfds_t>(items.size()), ms);
    if (n < 0) {
        if (errno == EINTR) return 0;
        return tl::unexpected(os_error(ErrorCode::internal, "poll"));
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        const short r = fds[i].revents;
        items[i].got = ((r & POLLIN) ? k_readable : 0) | ((r & POLLOUT) ? k_writable : 0) |
                       ((r & (POLLHUP | POLLERR)) ? k_hang_up : 0) | ((r & POLLNVAL) ? k_invalid : 0);
    }
    return n;
}

bool peer_gone(const Socket& socket) {
#if TABAGENT_LINUX_CALLS
    pollfd p{fd_of(socket), POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false; // nothing to report (or EINTR: ask again later)
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
#else
    pollfd p{fd_of(socket), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return true;
    char byte = 0;
    ssize_t n = ::recv(fd_of(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && !would_block(errno) && errno != EINTR);
#endif
}

Waker::~Waker() = default;

Status Waker::open() {
    int fds[2];
#if TABAGENT_LINUX_CALLS
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return tl::unexpected(os_error(ErrorCode::internal, "pipe2"));
    m_read.reset(fds[0]);
    m_write.reset(fds[1]);
#else
    if (::pipe(fds) != 0) return tl::unexpected(os_error(ErrorCode::internal, "pipe"));
    m_read.reset(fds[0]);
    m_write.reset(fds[1]);
    if (!set_flags(fds[0], true) || !set_flags(fds[1], true)) return tl::unexpected(os_error(ErrorCode::internal, "fcntl"));
#endif
    return {};
}

void Waker::raise() {
    if (m_raised.exchange(true) || !m_write) return;
    const char one = 1; // never read: the read end stays readable for good
    [[maybe_unused]] auto n = ::write(fd_of(m_write), &one, 1);
}

IoResult recv_some(const Socket& socket, std::span<char> buffer) {
    while (true) {
        ssize_t n = ::recv(fd_of(socket), buffer.data(), buffer.size(), 0);
        if (n > 0) return {IoState::ok, static_cast<std::size_t>(n)};
        if (n == 0) return {IoState::closed, 0};
        if (errno == EINTR) continue;
        return {would_block(errno) ? IoState::would_block : IoState::closed, 0};
    }
}

IoResult send_some(const Socket& socket, std::string_view data, [[maybe_unused]] bool more) {
    int flags = 0;
#ifdef MSG_NOSIGNAL // Linux (and newer macOS); elsewhere SO_NOSIGPIPE was set on the socket
    flags |= MSG_NOSIGNAL;
#endif
#if TABAGENT_LINUX_CALLS
    if (more) flags |= MSG_MORE;
#endif
    while (true) {
        ssize_t n = ::send(fd_of(socket), data.data(), data.size(), flags);
        if (n > 0) return {IoState::ok, static_cast<std::size_t>(n)};
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && would_block(errno)) return {IoState::would_block, 0};
        return {IoState::closed, 0};
    }
}

} // namespace tabagent::platform
