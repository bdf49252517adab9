#include "host/http/server.hpp"

#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tabagent::host::http {
namespace {

constexpr int k_backlog = 64;
// After accept() failed for lack of descriptors, wait this long before trying again rather than spin.
constexpr int k_accept_retry_ms = 50;

Error socket_error(const char* what) {
    return Error{ErrorCode::internal, std::string("file server: ") + what + ": " + std::strerror(errno), {}};
}

// sendfile(2) cannot be told MSG_NOSIGNAL; with SIGPIPE blocked in the threads that write, a
// client hanging up mid-body is an EPIPE here, whatever the embedding process does with SIGPIPE.
void block_sigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

} // namespace

Server::Server(Handler handler, Options options) : m_handler(std::move(handler)), m_options(std::move(options)) {
    if (m_options.max_connections == 0) m_options.max_connections = 1;
}

Server::~Server() { stop(); }

Result<int> Server::bind() {
    m_wake = util::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!m_wake) return tl::unexpected(socket_error("eventfd"));
    m_listener = util::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!m_listener) return tl::unexpected(socket_error("socket"));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // never another interface
    addr.sin_port = 0;                             // the kernel picks a free port
    if (::bind(m_listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return tl::unexpected(socket_error("bind"));
    if (::listen(m_listener.get(), k_backlog) != 0) return tl::unexpected(socket_error("listen"));
    socklen_t len = sizeof addr;
    if (::getsockname(m_listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return tl::unexpected(socket_error("getsockname"));
    m_port = ntohs(addr.sin_port);
    return m_port;
}

Result<int> Server::start() {
    if (!m_listener) {
        if (auto bound = bind(); !bound) return bound;
    }
    try {
        m_idle_workers = m_options.max_connections;
        for (std::size_t i = 0; i < m_options.max_connections; ++i) m_workers.emplace_back([this] { worker_loop(); });
        m_acceptor = std::thread([this] { accept_loop(); });
    } catch (const std::system_error& e) {
        stop();
        return fail(ErrorCode::internal, std::string("file server: cannot start threads: ") + e.what());
    }
    return m_port;
}

void Server::stop() {
    std::lock_guard stop_lock(m_stop_mutex);
    {
        std::lock_guard lock(m_mutex);
        if (!m_stopping) {
            m_stopping = true;
            // Wakes workers blocked on their socket (idle keep-alive, slow client, sendfile). The fds
            // are still open: a worker closes its socket only under m_mutex, after leaving the set.
            for (int fd : m_serving) ::shutdown(fd, SHUT_RDWR);
        }
    }
    if (m_wake) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(m_wake.get(), &one, sizeof one); // only fails if already readable
    }
    m_changed.notify_all();
    if (m_acceptor.joinable()) m_acceptor.join();
    m_listener.reset(); // new connections are refused from here on
    for (auto& worker : m_workers)
        if (worker.joinable()) worker.join();
    std::lock_guard lock(m_mutex);
    m_accepted.clear(); // accepted but never served: closed unanswered
}

void Server::accept_loop() {
    while (true) {
        {
            // Accept only what a worker can take now; the rest waits in the kernel's backlog.
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stopping || m_accepted.size() < m_idle_workers; });
            if (m_stopping) return;
        }
        pollfd fds[2] = {{m_listener.get(), POLLIN, 0}, {m_wake.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) continue; // EINTR
        if (fds[1].revents != 0) return;
        int fd = ::accept4(m_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                spdlog::default_logger()->warn("file server: accept: {}", std::strerror(errno));
                pollfd wake{m_wake.get(), POLLIN, 0};
                ::poll(&wake, 1, k_accept_retry_ms);
            }
            continue; // EAGAIN, ECONNABORTED, EINTR: nothing to do
        }
        util::UniqueFd socket(fd);
        int one = 1; // small heads and error bodies should not wait for Nagle
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard lock(m_mutex);
        m_accepted.push_back(std::move(socket));
        m_changed.notify_all();
    }
}

void Server::worker_loop() {
    block_sigpipe();
    while (true) {
        util::UniqueFd socket;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stopping || !m_accepted.empty(); });
            if (m_stopping) return;
            socket = std::move(m_accepted.front());
            m_accepted.pop_front();
            --m_idle_workers;
            m_serving.insert(socket.get());
        }
        serve_connection(socket.get(), m_wake.get(), m_handler, m_options.limits);
        std::lock_guard lock(m_mutex);
        m_serving.erase(socket.get());
        socket.reset(); // under the lock: stop() must never shut down a number reused by another open
        ++m_idle_workers;
        m_changed.notify_all();
    }
}

} // namespace tabagent::host::http
