#pragma once
// What a handler of the loopback HTTP server sees and fills in: the parsed request, with a way to
// ask whether its client is still there, and a response whose body is either a small string or a
// byte range of an open file (sent with sendfile / TransmitFile, never copied through user space
// where the OS allows).
#include "core/platform/net.hpp"
#include "host/http/request_head.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tabagent::host::http {

class Request {
public:
    Request(const RequestHead& head, const platform::Socket& socket) : m_head(head), m_socket(socket) {}
    const RequestHead& head() const { return m_head; }
    const std::string& method() const { return m_head.method; }
    const std::string& target() const { return m_head.target; }
    std::optional<std::string_view> header(std::string_view name) const { return m_head.header(name); }
    bool has_header(std::string_view name) const { return m_head.has_header(name); }
    // True once the peer closed or reset the connection (platform::peer_gone): consumes nothing, so
    // pipelined requests already sent stay where they are.
    bool client_gone() const { return platform::peer_gone(m_socket); }

private:
    const RequestHead& m_head;
    const platform::Socket& m_socket;
};

struct FileBody {
    platform::FileToSend file;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct Response {
    int status = 200;
    // Set by the handler. Content-Length and Connection are the server's: it drops any the handler
    // sets, so that framing can never disagree with what is actually sent.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<FileBody> file; // when set, the body is this range of the file

    // Replaces an earlier header of the same name (case-insensitive).
    void set_header(std::string name, std::string value);
    void set_body(std::string content, std::string content_type);
    void set_file(platform::FileToSend file, std::uint64_t offset, std::uint64_t length);
    std::uint64_t content_length() const { return file ? file->length : body.size(); }
};

using Handler = std::function<void(const Request&, Response&)>;

// "200 OK"-style reason phrase for the statuses this server uses ("Unknown" for others).
std::string_view reason_phrase(int status);

// The status line and headers of `response`, ending with the blank line. Adds Content-Length
// (except where RFC 9110 forbids it: 1xx, 204, 304) and the Connection header the client needs:
// "close" when the connection ends after this response, "keep-alive" for an HTTP/1.0 client that
// keeps it. Header lines carrying CR or LF are dropped rather than split into two.
std::string serialize_head(const Response& response, bool keep_alive, int request_minor_version);

} // namespace tabagent::host::http
