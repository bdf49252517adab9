#include "host/http/request_head.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace tabagent::host::http {
namespace {

// More headers than any browser sends; a client sending more is probing.
constexpr std::size_t k_max_headers = 100;
// 10^18 bytes: any Content-Length beyond this is absurd, and the bound keeps from_chars far from
// overflow questions.
constexpr std::size_t k_max_length_digits = 18;
constexpr std::string_view k_crlf = "\r\n";

tl::unexpected<HeadError> bad(int status, std::string reason) { return tl::unexpected(HeadError{status, std::move(reason)}); }

// RFC 9110 §5.6.2 token characters (methods and header names).
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_tchar(char c) {
    if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// Field values: visible ASCII, space, tab and obs-text; never CR, LF, NUL or other controls.
bool is_field_value(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c == '\t' || (c >= 0x20 && c != 0x7F);
    });
}

// Request targets: visible ASCII only (anything else must be percent-encoded by the client).
bool is_target(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c < 0x7F;
    });
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<std::uint64_t> parse_length(std::string_view s) {
    if (s.empty() || s.size() > k_max_length_digits) return std::nullopt;
    if (!std::all_of(s.begin(), s.end(), is_digit)) return std::nullopt;
    std::uint64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

tl::expected<void, HeadError> parse_request_line(std::string_view line, RequestHead& out) {
    auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) return bad(400, "malformed request line");
    auto sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return bad(400, "malformed request line");
    auto method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1), version = line.substr(sp2 + 1);
    if (!is_token(method)) return bad(400, "invalid method");
    if (!is_target(target)) return bad(400, "invalid request target");
    if (version == "HTTP/1.1") out.minor_version = 1;
    else if (version == "HTTP/1.0") out.minor_version = 0;
    else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && is_digit(version[5]) &&
             version[6] == '.' && is_digit(version[7]))
        return bad(505, "only HTTP/1.0 and HTTP/1.1 are spoken here");
    else return bad(400, "malformed HTTP version"); // also catches a third space in the line
    out.method = method;
    out.target = target;
    return {};
}

// Applies the rules that need all headers: one Host, Host required in 1.1, one Content-Length.
tl::expected<void, HeadError> check_framing_headers(RequestHead& head) {
    int hosts = 0;
    std::optional<std::uint64_t> length;
    for (const auto& [name, value] : head.headers) {
        if (iequals(name, "Host")) {
            ++hosts;
        } else if (iequals(name, "Content-Length")) {
            auto v = parse_length(value);
            if (!v) return bad(400, "invalid Content-Length");
            if (length && *length != *v) return bad(400, "conflicting Content-Length headers");
            length = v;
        } else if (iequals(name, "Transfer-Encoding")) {
            head.has_transfer_encoding = true;
        }
    }
    if (hosts > 1) return bad(400, "more than one Host header");
    if (hosts == 0 && head.minor_version == 1) return bad(400, "HTTP/1.1 request without Host");
    // Both framings at once is the classic smuggling shape (RFC 9112 §6.3).
    if (length && head.has_transfer_encoding) return bad(400, "both Content-Length and Transfer-Encoding");
    head.content_length = length.value_or(0);
    return {};
}

} // namespace

bool iequals(std::string_view a, std::string_view b) {
    // ASCII only: header names are tokens, and a locale must not change what matches.
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [&lower](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> RequestHead::header(std::string_view name) const {
    for (const auto& h : headers)
        if (iequals(h.first, name)) return std::string_view(h.second);
    return std::nullopt;
}

bool RequestHead::keep_alive() const {
    bool close = false, keep = false;
    for (const auto& [name, value] : headers) {
        if (!iequals(name, "Connection")) continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto token = trim_ows(rest.substr(0, comma));
            close = close || iequals(token, "close");
            keep = keep || iequals(token, "keep-alive");
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
    }
    if (close) return false;
    return minor_version >= 1 || keep;
}

HeadScan scan_head(std::string_view buffered, std::size_t max_head_bytes) {
    HeadScan scan;
    const std::size_t limit = std::min(buffered.size(), max_head_bytes);
    for (std::size_t i = 0; i < limit; ++i) {
        if (buffered[i] != '\n') continue;
        if (i == 0 || buffered[i - 1] != '\r') {
            scan.state = HeadScan::State::error;
            scan.error = {400, "bare LF line ending"};
            return scan;
        }
        if (i >= 3 && buffered[i - 2] == '\n') { // "\r\n\r\n" ends here (the '\n' before was checked)
            scan.state = HeadScan::State::complete;
            scan.size = i + 1;
            return scan;
        }
    }
    if (buffered.size() >= max_head_bytes) {
        scan.state = HeadScan::State::error;
        scan.error = {431, "request head too large"};
    }
    return scan;
}

tl::expected<RequestHead, HeadError> parse_request_head(std::string_view head) {
    if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") return bad(400, "head does not end with CRLF CRLF");
    head.remove_suffix(2); // every line, the last header's included, now ends with CRLF
    RequestHead out;
    auto next_line = [&head]() -> std::optional<std::string_view> {
        auto end = head.find(k_crlf);
        if (end == std::string_view::npos) return std::nullopt;
        auto line = head.substr(0, end);
        head.remove_prefix(end + k_crlf.size());
        return line;
    };
    auto request_line = next_line();
    if (!request_line) return bad(400, "head does not end with CRLF CRLF");
    if (auto st = parse_request_line(*request_line, out); !st) return tl::unexpected(st.error());
    while (auto line = next_line()) {
        if (line->empty()) return bad(400, "empty line inside the head");
        if (line->front() == ' ' || line->front() == '\t') return bad(400, "obsolete line folding");
        auto colon = line->find(':');
        if (colon == std::string_view::npos) return bad(400, "header line without a colon");
        auto name = line->substr(0, colon); // whitespace before the colon fails is_token (RFC 9112 §5.1)
        auto value = trim_ows(line->substr(colon + 1));
        if (!is_token(name)) return bad(400, "invalid header name");
        if (!is_field_value(value)) return bad(400, "invalid character in a header value");
        if (out.headers.size() == k_max_headers) return bad(431, "too many headers");
        out.headers.emplace_back(name, value);
    }
    if (!head.empty()) return bad(400, "bare CR in the head"); // bytes left without a CRLF after them
    if (auto st = check_framing_headers(out); !st) return tl::unexpected(st.error());
    return out;
}

} // namespace tabagent::host::http
