#include "host/http/connection.hpp"

#include "host/http/socket_io.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace tabagent::host::http {
namespace {

constexpr std::size_t k_read_step = 16 * 1024;
// After the last response, how long (and how much) unread input is drained before closing: closing
// a socket with unread bytes sends a RST, which can destroy the response still in flight.
constexpr auto k_linger_time = std::chrono::milliseconds(200);
constexpr std::size_t k_linger_bytes = 256 * 1024;

struct Link {
    const platform::Socket& socket;
    const platform::Waker& wake;
    const ConnectionLimits& limits;
};

bool send_response(const Link& link, const Response& response, bool keep_alive, int minor_version, bool head_only) {
    std::string head = serialize_head(response, keep_alive, minor_version);
    const auto stall = link.limits.write_timeout;
    if (head_only) return send_all(link.socket, head, false, link.wake, stall) == Io::ok;
    if (response.file && response.file->length > 0) {
        if (send_all(link.socket, head, true, link.wake, stall) != Io::ok) return false;
        const FileBody& f = *response.file;
        return send_file_range(link.socket, f.file.native(), f.offset, f.length, link.wake, stall) == Io::ok;
    }
    head += response.body; // small bodies (errors, JSON) go out in the same segment as the head
    return send_all(link.socket, head, false, link.wake, stall) == Io::ok;
}

// Half-closes, then discards what the client still sends for a moment, so that it reads our last
// response before it sees the connection end.
void linger(const Link& link) {
    platform::shutdown(link.socket, platform::Shutdown::send);
    const auto deadline = Clock::now() + k_linger_time;
    char sink[4096];
    for (std::size_t drained = 0; drained < k_linger_bytes;) {
        std::size_t got = 0;
        if (receive_some(link.socket, sink, sizeof sink, got, link.wake, deadline) != Io::ok) return;
        drained += got;
    }
}

// A response from the server itself (the request never reached the handler); the connection ends.
void refuse(const Link& link, int status, const std::string& reason, int minor_version = 1) {
    spdlog::default_logger()->debug("loopback http: {} {}", status, reason);
    Response response;
    response.status = status;
    response.set_body(reason + "\n", "text/plain; charset=utf-8");
    if (send_response(link, response, false, minor_version, false)) linger(link);
}

void run_handler(const Handler& handler, const Request& request, Response& response) {
    try {
        handler(request, response);
    } catch (const std::exception& e) {
        spdlog::default_logger()->error("loopback http: handler failed on {}: {}", request.target(), e.what());
        response = Response{};
        response.status = 500;
    }
}

} // namespace

void serve_connection(const platform::Socket& socket, const platform::Waker& wake, const Handler& handler,
                      const ConnectionLimits& limits) {
    const Link link{socket, wake, limits};
    std::string buffer; // received, not yet consumed: the current head and any pipelined requests
    for (int served = 0; served < limits.max_requests; ++served) {
        // Between requests the client may think for idle_timeout; once a head has begun it must
        // arrive whole within read_timeout (a byte-a-second client cannot hold a worker forever).
        bool begun = !buffer.empty();
        auto deadline = Clock::now() + (begun ? limits.read_timeout : limits.idle_timeout);
        auto scan = scan_head(buffer, limits.max_head_bytes);
        while (scan.state == HeadScan::State::incomplete) {
            const std::size_t old = buffer.size();
            buffer.resize(old + std::min(k_read_step, limits.max_head_bytes - old));
            std::size_t got = 0;
            Io io = receive_some(socket, buffer.data() + old, buffer.size() - old, got, wake, deadline);
            buffer.resize(old + got);
            if (io == Io::timeout && begun) return refuse(link, 408, "the request head did not arrive in time");
            if (io != Io::ok) return; // idle timeout, client gone or server stopping: just close
            if (!begun) {
                begun = true;
                deadline = Clock::now() + limits.read_timeout;
            }
            scan = scan_head(buffer, limits.max_head_bytes);
        }
        if (scan.state == HeadScan::State::error) return refuse(link, scan.error.status, scan.error.reason);
        auto head = parse_request_head(std::string_view(buffer).substr(0, scan.size));
        if (!head) return refuse(link, head.error().status, head.error().reason);
        // Nothing served here takes a body; reading one only to discard it would be attack surface.
        if (head->has_transfer_encoding) return refuse(link, 400, "request bodies are not accepted", head->minor_version);
        if (head->content_length > 0) return refuse(link, 413, "request bodies are not accepted", head->minor_version);

        const bool keep_alive = head->keep_alive() && served + 1 < limits.max_requests;
        Response response;
        run_handler(handler, Request(*head, socket), response);
        if (!send_response(link, response, keep_alive, head->minor_version, head->method == "HEAD")) return;
        buffer.erase(0, scan.size);
        if (!keep_alive) return linger(link);
    }
}

} // namespace tabagent::host::http
