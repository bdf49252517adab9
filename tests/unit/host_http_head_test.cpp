#include "host/http/request_head.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace tabagent::host::http;

namespace {

// The parser's answer for a head given whole; 0 when it parses.
int status_of(const std::string& head) {
    auto r = parse_request_head(head);
    return r ? 0 : r.error().status;
}

} // namespace

TEST_CASE("host: the HTTP head parser reads a normal GET and a HEAD") {
    auto r = parse_request_head("GET /tok/o/n/resolve/main/config.json?x=1 HTTP/1.1\r\n"
                                "Host: 127.0.0.1:8000\r\n"
                                "Range:   bytes=0-9  \r\n"
                                "Accept: */*\r\n\r\n");
    REQUIRE(r);
    CHECK(r->method == "GET");
    CHECK(r->target == "/tok/o/n/resolve/main/config.json?x=1");
    CHECK(r->minor_version == 1);
    CHECK(r->headers.size() == 3);
    CHECK(r->header("Range") == "bytes=0-9"); // optional whitespace trimmed on both sides
    CHECK(r->content_length == 0);
    CHECK_FALSE(r->has_transfer_encoding);
    CHECK(r->keep_alive());

    auto h = parse_request_head("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
    REQUIRE(h);
    CHECK(h->method == "HEAD");
    // Unknown but well-formed methods parse: the handler answers 405 with an Allow header.
    CHECK(status_of("PROPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n") == 0);
    CHECK(status_of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n") == 0);
}

TEST_CASE("host: the HTTP head parser looks header names up case-insensitively") {
    auto r = parse_request_head("GET / HTTP/1.1\r\nhost: a\r\nORIGIN: chrome-extension://x\r\nx-Mixed-CASE: v\r\n\r\n");
    REQUIRE(r);
    CHECK(r->header("Host") == "a");
    CHECK(r->header("HOST") == "a");
    CHECK(r->header("origin") == "chrome-extension://x");
    CHECK(r->header("X-MIXED-case") == "v");
    CHECK_FALSE(r->header("Range"));
    CHECK(r->headers[0].first == "host"); // names are kept as sent
    // An empty value is a value (Host: with nothing is then refused by the file server, not here).
    auto e = parse_request_head("GET / HTTP/1.1\r\nHost:\r\n\r\n");
    REQUIRE(e);
    CHECK(e->header("Host") == "");
}

TEST_CASE("host: the HTTP head parser refuses malformed lines") {
    SUBCASE("obs-fold continuation lines") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n") == 400);
    }
    SUBCASE("a head that does not end with CRLF CRLF") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a") == 400);
        CHECK(status_of("") == 400);
        CHECK(status_of("\r\n\r\n") == 400);
    }
    SUBCASE("bare CR inside a line") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n") == 400);
        CHECK(status_of("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
    }
    SUBCASE("header syntax") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == 400); // space before the colon
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX(y): v\r\n\r\n") == 400);
        CHECK(status_of(std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 35)) == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n") == 0); // obs-text is allowed
    }
    SUBCASE("request line") {
        CHECK(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n") == 400);
        CHECK(status_of("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
        CHECK(status_of("GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
        CHECK(status_of("GET HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\n") == 400);
        CHECK(status_of("GET / http/1.1\r\nHost: a\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505);
        CHECK(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n") == 505);
    }
}

TEST_CASE("host: the HTTP head parser refuses methods with characters outside tokens") {
    for (const char* line : {"G(T / HTTP/1.1", "GE\"T / HTTP/1.1", "G,ET / HTTP/1.1", "\tGET / HTTP/1.1",
                             " GET / HTTP/1.1", "GÉT / HTTP/1.1", "G@T / HTTP/1.1", "G\x01T / HTTP/1.1"}) {
        CAPTURE(line);
        CHECK(status_of(std::string(line) + "\r\nHost: a\r\n\r\n") == 400);
    }
    CHECK(status_of("M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n") == 0);
}

TEST_CASE("host: the HTTP head parser applies the framing rules") {
    SUBCASE("exactly one Host, required in HTTP/1.1 only") {
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.0\r\n\r\n") == 0);
    }
    SUBCASE("Content-Length") {
        auto r = parse_request_head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n");
        REQUIRE(r);
        CHECK(r->content_length == 12);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n") == 0);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") == 0);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000000000000\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n") == 400);
        CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n") == 400);
    }
    SUBCASE("Transfer-Encoding is reported; with Content-Length it is refused") {
        auto r = parse_request_head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        REQUIRE(r);
        CHECK(r->has_transfer_encoding);
        CHECK(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
    }
    SUBCASE("too many headers") {
        std::string head = "GET / HTTP/1.1\r\nHost: a\r\n";
        for (int i = 0; i < 100; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
        CHECK(status_of(head + "\r\n") == 431);
    }
}

TEST_CASE("host: the HTTP head parser decides keep-alive per version and Connection") {
    auto keep = [](const std::string& version, const std::string& extra) {
        auto r = parse_request_head("GET / " + version + "\r\nHost: a\r\n" + extra + "\r\n");
        REQUIRE(r);
        return r->keep_alive();
    };
    CHECK(keep("HTTP/1.1", ""));
    CHECK_FALSE(keep("HTTP/1.1", "Connection: close\r\n"));
    CHECK_FALSE(keep("HTTP/1.1", "Connection: Upgrade, CLOSE\r\n"));
    CHECK_FALSE(keep("HTTP/1.1", "Connection: keep-alive\r\nConnection: close\r\n"));
    CHECK_FALSE(keep("HTTP/1.0", ""));
    CHECK(keep("HTTP/1.0", "Connection: Keep-Alive\r\n"));
    CHECK_FALSE(keep("HTTP/1.0", "Connection: keep-alive, close\r\n"));
}

TEST_CASE("host: the HTTP head scanner finds the end, refuses LF-only lines and over-long heads") {
    using S = HeadScan::State;
    const std::string two = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n";
    auto s = scan_head(two, 1024);
    CHECK(s.state == S::complete);
    CHECK(s.size == two.size() / 2); // only the first of two pipelined heads
    CHECK(scan_head("GET /a HTTP/1.1\r\nHost: a\r\n", 1024).state == S::incomplete);
    CHECK(scan_head("GET /a HTTP/1.1\r\nHost: a\r\n\r", 1024).state == S::incomplete);
    CHECK(scan_head("", 1024).state == S::incomplete);

    // LF-only line endings are refused, as soon as the first one arrives (decided: no leniency).
    s = scan_head("GET /a HTTP/1.1\nHost: a\n\n", 1024);
    CHECK(s.state == S::error);
    CHECK(s.error.status == 400);
    CHECK(scan_head("GET /a HTTP/1.1\r\nHost: a\n", 1024).state == S::error);
    CHECK(status_of("GET /a HTTP/1.1\nHost: a\r\n\r\n") == 400);

    // Over the limit without an end: 431; a head that fits exactly is fine.
    std::string big = "GET /a HTTP/1.1\r\nX: " + std::string(2000, 'a');
    s = scan_head(big, 1024);
    CHECK(s.state == S::error);
    CHECK(s.error.status == 431);
    const std::string exact = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(scan_head(exact, exact.size()).state == S::complete);
    CHECK(scan_head(exact, exact.size() - 1).state == S::error);
}
