// libFuzzer target over the loopback HTTP server's request-head rules (host/http): the input is
// the bytes a client sent. Besides crashes and sanitizer reports it aborts when the scanner and
// the parser disagree, when a parsed head holds bytes the parser promised to refuse, or when a
// response echoing request values could carry a second head (header injection).
#include "host/http/message.hpp"
#include "host/http/request_head.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace tabagent::host::http;

namespace {

constexpr std::size_t k_limit = 32 * 1024; // the server's default head limit

[[noreturn]] void die(const char* why) {
    std::fprintf(stderr, "fuzz_http_head invariant broken: %s\n", why);
    std::abort();
}

bool has_any(std::string_view s, std::string_view chars) { return s.find_first_of(chars) != std::string_view::npos; }

void check_parsed(const RequestHead& head) {
    if (head.method.empty() || has_any(head.method, " \t\r\n:")) die("method with separators");
    if (head.target.empty() || has_any(head.target, std::string_view(" \t\r\n\0", 5))) die("target with whitespace");
    if (head.minor_version != 0 && head.minor_version != 1) die("version other than 1.0/1.1");
    for (const auto& [name, value] : head.headers) {
        if (name.empty() || has_any(name, " \t\r\n:")) die("header name with separators");
        if (has_any(value, std::string_view("\r\n\0", 3))) die("header value with CR, LF or NUL");
        if (!value.empty() && (value.front() == ' ' || value.back() == ' ')) die("untrimmed header value");
        if (!head.header(name)) die("a parsed header cannot be looked up");
    }
    if (head.content_length > 0 && head.has_transfer_encoding) die("both body framings accepted");
    (void)head.keep_alive();

    // Whatever a handler echoes back (the file server echoes Origin), the serialised head must be
    // exactly one head: one blank line, at its end.
    Response r;
    r.status = 200;
    for (const auto& [name, value] : head.headers) r.set_header(name, value);
    r.set_header("X-Target", head.target);
    auto out = serialize_head(r, head.keep_alive(), head.minor_version);
    if (out.find("\r\n\r\n") != out.size() - 4) die("serialised head holds a blank line before its end");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto scan = scan_head(input, k_limit);
    if (scan.state == HeadScan::State::complete) {
        if (scan.size > input.size() || scan.size > k_limit) die("scan beyond its input or limit");
        if (input.substr(scan.size - 4, 4) != "\r\n\r\n") die("scan end is not CRLF CRLF");
        auto head = parse_request_head(input.substr(0, scan.size));
        if (head) check_parsed(*head);
        else if (head.error().status != 400 && head.error().status != 431 && head.error().status != 505)
            die("unexpected refusal status");
    } else if (scan.state == HeadScan::State::error && scan.error.status != 400 && scan.error.status != 431) {
        die("unexpected scan status");
    }
    // The parser on its own must survive any bytes, delimited or not.
    if (auto direct = parse_request_head(input)) check_parsed(*direct);
    return 0;
}
