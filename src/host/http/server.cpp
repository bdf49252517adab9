#include "host/http/server.hpp"

#include <spdlog/spdlog.h>

namespace tabagent::host::http {
namespace {

constexpr int k_backlog = 64;
// After accept() failed (out of descriptors, say), wait this long before trying again rather than spin.
constexpr auto k_accept_retry = std::chrono::milliseconds(50);

Error server_error(const Error& e) { return Error{e.code, "file server: " + e.message, e.details}; }

} // namespace

Server::Server(Handler handler, Options options) : m_handler(std::move(handler)), m_options(std::move(options)) {
    if (m_options.max_connections == 0) m_options.max_connections = 1;
}

Server::~Server() { stop(); }

Result<int> Server::bind() {
    if (auto opened = m_wake.open(); !opened) return tl::unexpected(server_error(opened.error()));
    auto listener = platform::listen_loopback(k_backlog); // 127.0.0.1 only, a port the OS picks
    if (!listener) return tl::unexpected(server_error(listener.error()));
    m_listener = std::move(listener->socket);
    m_port = listener->port;
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
            for (const platform::Socket* socket : m_serving) platform::shutdown(*socket, platform::Shutdown::both);
        }
    }
    m_wake.raise();
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
        platform::PollItem items[2] = {{m_listener.native(), platform::k_readable, 0},
                                       {m_wake.pollable(), platform::k_readable, 0}};
        auto n = platform::poll(items, std::chrono::milliseconds(-1));
        if (!n || *n == 0) continue; // EINTR
        if (items[1].got != 0) return;
        auto socket = platform::accept(m_listener); // non-blocking, not inherited, Nagle off
        if (!socket) {
            spdlog::default_logger()->warn("file server: {}", socket.error().message);
            platform::PollItem wake{m_wake.pollable(), platform::k_readable, 0};
            (void)platform::poll(std::span(&wake, 1), k_accept_retry);
            continue;
        }
        if (!*socket) continue; // nothing was waiting after all
        std::lock_guard lock(m_mutex);
        m_accepted.push_back(std::move(*socket));
        m_changed.notify_all();
    }
}

void Server::worker_loop() {
    while (true) {
        platform::Socket socket;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stopping || !m_accepted.empty(); });
            if (m_stopping) return;
            socket = std::move(m_accepted.front());
            m_accepted.pop_front();
            --m_idle_workers;
            m_serving.insert(&socket);
        }
        serve_connection(socket, m_wake, m_handler, m_options.limits);
        std::lock_guard lock(m_mutex);
        m_serving.erase(&socket);
        socket.reset(); // under the lock: stop() must never shut down a number reused by another open
        ++m_idle_workers;
        m_changed.notify_all();
    }
}

} // namespace tabagent::host::http
