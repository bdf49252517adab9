#pragma once
// One client connection of the loopback HTTP server: reads request heads, hands each to the
// handler, writes the responses in order (pipelined requests included), keeps the connection
// alive between requests within the limits below, and refuses anything carrying a body.
#include "core/platform/net.hpp"
#include "host/http/message.hpp"

#include <chrono>
#include <cstddef>

namespace tabagent::host::http {

struct ConnectionLimits {
    std::chrono::milliseconds idle_timeout{5000};  // between requests on a kept-alive connection
    std::chrono::milliseconds read_timeout{10000}; // from a head's first byte to its last
    std::chrono::milliseconds write_timeout{30000}; // longest wait for socket buffer space
    std::size_t max_head_bytes = 32 * 1024;
    int max_requests = 1000; // per connection; then Connection: close
};

// Serves `socket` (non-blocking) until the client leaves, a limit is reached, an error occurs or
// `wake` is raised (server stopping). Does not close `socket`: its owner does.
void serve_connection(const platform::Socket& socket, const platform::Waker& wake, const Handler& handler,
                      const ConnectionLimits& limits);

} // namespace tabagent::host::http
