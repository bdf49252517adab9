#pragma once
// A small HTTP/1.1 server for 127.0.0.1 (DESIGN §3 "Why a loopback server", §7): the host's own,
// so that tabagent-host links no HTTP library (cpp-httplib with OpenSSL, brotli and zlib cost ~7 ms
// of dynamic loading on every start, though only open_file_server used it) and so that file bodies
// can go out with sendfile (TransmitFile on Windows). Sockets go through platform/net.hpp.
//
// One accept thread and a fixed pool of workers, one connection per worker. When every worker is
// busy the accept thread stops accepting: further connections wait in the kernel's backlog until
// a worker is free (no 503s; browsers open at most 6 connections per host anyway).
#include "core/error.hpp"
#include "core/platform/net.hpp"
#include "host/http/connection.hpp"
#include "host/http/message.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace tabagent::host::http {

class Server {
public:
    struct Options {
        std::size_t max_connections = 8; // served at once, one worker thread each
        ConnectionLimits limits;
    };

    Server(Handler handler, Options options);
    ~Server(); // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds 127.0.0.1 on a port the kernel picks and returns it; nothing is accepted before start().
    // Separate from start() so that a handler can be given the port before any thread can call it.
    // INTERNAL when a socket call fails. Call once.
    Result<int> bind();
    // Starts the accept thread and the workers (binding first if bind() was not called); returns
    // the port. Everything written before this call is visible to the handler.
    Result<int> start();
    // Closes the listener, shuts down every open connection, wakes every wait and joins every
    // thread; handlers still running finish first (they should watch their own stop signal).
    // Idempotent; concurrent callers all return after the threads are joined.
    void stop();
    int port() const { return m_port; }

private:
    void accept_loop();
    void worker_loop();

    Handler m_handler;
    Options m_options;
    int m_port = 0;
    platform::Socket m_listener;
    platform::Waker m_wake; // raised for good once stop() begins

    std::mutex m_mutex; // guards everything below
    std::condition_variable m_changed;
    bool m_stopping = false;
    std::deque<platform::Socket> m_accepted; // accepted, not yet picked up by a worker
    std::size_t m_idle_workers = 0;
    std::set<const platform::Socket*> m_serving; // sockets workers are serving; closed only under m_mutex

    std::mutex m_stop_mutex;
    std::thread m_acceptor;
    std::vector<std::thread> m_workers;
};

} // namespace tabagent::host::http
