#pragma once
// The head of an HTTP/1.x request (RFC 9112 §2–5), parsed by pure functions so that the rules can
// be unit-tested and fuzzed without sockets. The parser is strict where leniency has caused request
// smuggling elsewhere: bare LF or CR line endings, obs-fold continuation lines, whitespace before a
// header's colon, control characters, duplicate Host and conflicting Content-Length are all
// errors, not guesses. Nothing here takes a body, so a Content-Length is only parsed and reported.
#include <tl/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tabagent::host::http {

// Why a head was refused, as the status the connection answers with before closing.
struct HeadError {
    int status = 400; // 400, 431 (too large / too many headers) or 505 (not HTTP/1.x)
    std::string reason;
};

struct RequestHead {
    std::string method; // as sent (methods are case-sensitive): "GET", "HEAD", ...
    std::string target; // raw request-target, not decoded
    int minor_version = 1; // HTTP/1.<minor_version>; only 0 and 1 are accepted
    std::vector<std::pair<std::string, std::string>> headers; // in order, values trimmed

    // First header with this name, compared case-insensitively.
    std::optional<std::string_view> header(std::string_view name) const;
    bool has_header(std::string_view name) const { return header(name).has_value(); }
    // Whether the client lets the connection stay open: HTTP/1.1 unless "Connection: close",
    // HTTP/1.0 only with "Connection: keep-alive".
    bool keep_alive() const;
    // Content-Length (0 when absent) and whether Transfer-Encoding was sent; validated by the parser.
    std::uint64_t content_length = 0;
    bool has_transfer_encoding = false;
};

// Where a buffered head ends. `complete` is the size of the head including its blank line.
struct HeadScan {
    enum class State { incomplete, complete, error } state = State::incomplete;
    std::size_t size = 0;
    HeadError error;
};

// Looks for the CRLF CRLF ending a head in the bytes received so far. Errors as soon as the bytes
// prove the head bad (a bare LF: this server does not accept LF-only line endings) or when no end
// is found within `max_head_bytes` (431). Leading empty lines before a request line are not
// skipped: a client sending them is broken enough to get a 400 from the parser.
HeadScan scan_head(std::string_view buffered, std::size_t max_head_bytes);

// Parses one complete head (as delimited by scan_head, blank line included).
tl::expected<RequestHead, HeadError> parse_request_head(std::string_view head);

// Case-insensitive ASCII comparison, for header names and Connection tokens.
bool iequals(std::string_view a, std::string_view b);

} // namespace tabagent::host::http
