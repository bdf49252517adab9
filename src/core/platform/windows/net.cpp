// platform/net.hpp on Windows: Winsock 2 (ws2_32), tested under Wine. Winsock is started here,
// once per process, the first time a socket is made; never by callers.
#include "core/platform/net.hpp"
#include "core/platform/windows/winsock.hpp"

#include <algorithm>
#include <climits>
#include <string>

namespace tabagent::platform {
namespace {

SOCKET sock_of(const Socket& s) { return static_cast<SOCKET>(s.native()); }

sockaddr_in loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // never another interface
    addr.sin_port = htons(static_cast<u_short>(port));
    return addr;
}

// Overlapped (TransmitFile waits on its completion) and not inherited by child processes, which
// would otherwise keep a connection open after the host closed it.
Result<Socket> new_tcp_socket() {
    if (auto started = windows::start_winsock(); !started) return tl::unexpected(started.error());
    SOCKET s = ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                            WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET) return tl::unexpected(windows::wsa_error(ErrorCode::internal, "WSASocketW"));
    ::SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0); // older systems ignore the flag
    return Socket(static_cast<NativeSocket>(s));
}

int local_port(SOCKET s, bool peer) {
    sockaddr_in addr{};
    int len = sizeof addr;
    int rc = peer ? ::getpeername(s, reinterpret_cast<sockaddr*>(&addr), &len)
                  : ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    return rc == 0 ? ntohs(addr.sin_port) : -1;
}

} // namespace

void Socket::reset(NativeSocket s) {
    if (m_socket != k_no_socket) ::closesocket(static_cast<SOCKET>(m_socket));
    m_socket = s;
}

Result<Listener> listen_loopback(int backlog) {
    auto s = new_tcp_socket();
    if (!s) return tl::unexpected(s.error());
    // Without SO_EXCLUSIVEADDRUSE another program could bind the same port with SO_REUSEADDR and
    // take connections meant for us (Microsoft's "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE").
    BOOL on = TRUE;
    ::setsockopt(sock_of(*s), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&on), sizeof on);
    sockaddr_in addr = loopback(0); // the system picks a free port
    if (::bind(sock_of(*s), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return tl::unexpected(windows::wsa_error(ErrorCode::internal, "bind"));
    if (::listen(sock_of(*s), backlog) != 0) return tl::unexpected(windows::wsa_error(ErrorCode::internal, "listen"));
    if (auto nb = set_non_blocking(*s, true); !nb) return tl::unexpected(nb.error());
    int port = local_port(sock_of(*s), false);
    if (port < 0) return tl::unexpected(windows::wsa_error(ErrorCode::internal, "getsockname"));
    return Listener{std::move(*s), port};
}

Result<Socket> connect_loopback(int port) {
    auto s = new_tcp_socket();
    if (!s) return s;
    sockaddr_in addr = loopback(port);
    if (::connect(sock_of(*s), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return tl::unexpected(windows::wsa_error(ErrorCode::network, "connect"));
    return s;
}

Result<Socket> accept(const Socket& listener) {
    Socket s(static_cast<NativeSocket>(::accept(sock_of(listener), nullptr, nullptr))); // INVALID_SOCKET is -1 here
    if (!s) {
        int err = ::WSAGetLastError();
        if (err == WSAEWOULDBLOCK || err == WSAECONNRESET || err == WSAEINTR) return Socket{};
        return tl::unexpected(windows::wsa_error(ErrorCode::internal, "accept", err));
    }
    // An accepted socket takes the listener's attributes (overlapped, no inheritance) but not
    // necessarily its blocking mode: set both explicitly.
    ::SetHandleInformation(reinterpret_cast<HANDLE>(sock_of(s)), HANDLE_FLAG_INHERIT, 0);
    if (auto nb = set_non_blocking(s, true); !nb) return tl::unexpected(nb.error());
    BOOL one = TRUE; // small heads and error bodies should not wait for Nagle
    ::setsockopt(sock_of(s), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
    return s;
}

Status set_non_blocking(const Socket& socket, bool on) {
    u_long mode = on ? 1 : 0;
    if (::ioctlsocket(sock_of(socket), FIONBIO, &mode) != 0)
        return tl::unexpected(windows::wsa_error(ErrorCode::internal, "ioctlsocket"));
    return {};
}

void shutdown(const Socket& socket, Shutdown how) {
    ::shutdown(sock_of(socket), how == Shutdown::send ? SD_SEND : SD_BOTH);
}

Result<int> poll(std::span<PollItem> items, std::chrono::milliseconds timeout) {
    constexpr std::size_t k_max = 8; // the server polls two at a time
    if (items.size() > k_max) return fail(ErrorCode::internal, "poll: too many items");
    WSAPOLLFD fds[k_max];
    for (std::size_t i = 0; i < items.size(); ++i) {
        // POLLRDNORM / POLLWRNORM: WSAPoll refuses POLLPRI (MSDN, WSAPOLLFD).
        SHORT events = 0;
        if (items[i].want & k_readable) events |= POLLRDNORM;
        if (items[i].want & k_writable) events |= POLLWRNORM;
        fds[i] = WSAPOLLFD{static_cast<SOCKET>(items[i].handle), events, 0};
    }
    const INT ms = timeout.count() < 0 ? -1 : static_cast<INT>(std::min<long long>(timeout.count(), INT_MAX));
    int n = ::WSAPoll(fds, static_cast<ULONG>(items.size()), ms);
    if (n == SOCKET_ERROR) return tl::unexpected(windows::wsa_error(ErrorCode::internal, "WSAPoll"));
    for (std::size_t i = 0; i < items.size(); ++i) {
        const SHORT r = fds[i].revents;
        items[i].got = ((r & POLLRDNORM) ? k_readable : 0) | ((r & POLLWRNORM) ? k_writable : 0) |
                       ((r & (POLLHUP | POLLERR)) ? k_hang_up : 0) | ((r & POLLNVAL) ? k_invalid : 0);
    }
    return n;
}

bool peer_gone(const Socket& socket) {
    WSAPOLLFD p{sock_of(socket), POLLRDNORM, 0};
    if (::WSAPoll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return true;
    // Readable: an orderly end reads as 0 bytes. The socket is non-blocking (accept() made it so),
    // so the peek cannot wait; a blocking socket is readable here, so it cannot wait either.
    char byte = 0;
    int n = ::recv(sock_of(socket), &byte, 1, MSG_PEEK);
    return n == 0 || (n == SOCKET_ERROR && ::WSAGetLastError() != WSAEWOULDBLOCK);
}

Waker::~Waker() {
    if (m_event != -1) ::CloseHandle(reinterpret_cast<HANDLE>(m_event));
}

// WSAPoll polls sockets only (no pipes, no events): the waker is a connected loopback pair whose
// read end becomes readable when raise() sends a byte, plus a manual-reset event for waits on
// overlapped I/O (TransmitFile).
Status Waker::open() {
    HANDLE event = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    if (event == nullptr) return tl::unexpected(windows::last_error(ErrorCode::internal, "CreateEventW"));
    m_event = reinterpret_cast<std::intptr_t>(event);
    auto listener = listen_loopback(1);
    if (!listener) return tl::unexpected(listener.error());
    auto writer = connect_loopback(listener->port);
    if (!writer) return tl::unexpected(writer.error());
    // The listener is non-blocking; the connection is already in its backlog once connect returned.
    PollItem item{listener->socket.native(), k_readable, 0};
    if (auto n = poll(std::span(&item, 1), std::chrono::seconds(10)); !n || *n == 0)
        return fail(ErrorCode::internal, "waker: the loopback pair did not connect");
    auto reader = accept(listener->socket);
    if (!reader || !*reader) return fail(ErrorCode::internal, "waker: accept failed");
    // Another local program could have connected to the short-lived listener first: check that
    // the accepted peer is our writer.
    if (local_port(sock_of(*reader), true) != local_port(sock_of(*writer), false))
        return fail(ErrorCode::internal, "waker: a stranger connected to the loopback pair");
    if (auto nb = set_non_blocking(*writer, true); !nb) return tl::unexpected(nb.error());
    m_read = std::move(*reader);
    m_write = std::move(*writer);
    return {};
}

void Waker::raise() {
    if (m_raised.exchange(true)) return;
    if (m_event != -1) ::SetEvent(reinterpret_cast<HANDLE>(m_event));
    if (!m_write) return;
    const char one = 1; // never read: the read end stays readable for good
    ::send(sock_of(m_write), &one, 1, 0);
}

IoResult recv_some(const Socket& socket, std::span<char> buffer) {
    const int size = static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX));
    int n = ::recv(sock_of(socket), buffer.data(), size, 0);
    if (n > 0) return {IoState::ok, static_cast<std::size_t>(n)};
    if (n == 0) return {IoState::closed, 0};
    return {::WSAGetLastError() == WSAEWOULDBLOCK ? IoState::would_block : IoState::closed, 0};
}

// Winsock never raises SIGPIPE (there is none); `more` has no MSG_MORE to map to (Nagle is off
// and the head is small: it may leave in a segment of its own).
IoResult send_some(const Socket& socket, std::string_view data, bool) {
    const int size = static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX));
    int n = ::send(sock_of(socket), data.data(), size, 0);
    if (n > 0) return {IoState::ok, static_cast<std::size_t>(n)};
    if (n == SOCKET_ERROR && ::WSAGetLastError() == WSAEWOULDBLOCK) return {IoState::would_block, 0};
    return {IoState::closed, 0};
}

} // namespace tabagent::platform
