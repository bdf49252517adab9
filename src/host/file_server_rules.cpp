#include "host/file_server_rules.hpp"

#include "core/names.hpp"
#include "core/util/random.hpp"

#include <algorithm>
#include <charconv>

namespace tabagent::host {
namespace {

// Splits "/a/b/c" into {"a","b","c"}; the query string is dropped. Empty segments are kept
// (they make a URL invalid rather than silently collapsing "//").
std::vector<std::string_view> raw_segments(std::string_view target) {
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    std::vector<std::string_view> out;
    if (target.empty() || target.front() != '/') return out;
    target.remove_prefix(1);
    std::size_t start = 0;
    while (true) {
        auto end = target.find('/', start);
        if (end == std::string_view::npos) {
            out.push_back(target.substr(start));
            return out;
        }
        out.push_back(target.substr(start, end - start));
        start = end + 1;
    }
}

// Constant time in the content, so that response timing does not reveal how much of a guessed
// token was right (the length is not secret: every token has 32 characters).
bool same_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size() || a.empty()) return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::uint64_t> parse_uint(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

} // namespace

std::optional<std::string> percent_decode(std::string_view segment) {
    std::string out;
    out.reserve(segment.size());
    for (std::size_t i = 0; i < segment.size(); ++i) {
        if (segment[i] != '%') {
            out += segment[i];
            continue;
        }
        if (i + 2 >= segment.size()) return std::nullopt;
        int hi = hex_value(segment[i + 1]), lo = hex_value(segment[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

bool target_has_token(std::string_view target, std::string_view token) {
    auto segs = raw_segments(target);
    return !segs.empty() && same_secret(segs[0], token);
}

Result<HubFileRequest> parse_hub_target(std::string_view target, std::string_view token) {
    auto segs = raw_segments(target);
    // token, owner, name, "resolve", revision, path...
    if (segs.empty() || !same_secret(segs[0], token)) return fail(ErrorCode::not_found, "not found");
    if (segs.size() < 6 || segs[3] != "resolve") return fail(ErrorCode::not_found, "not found");
    std::vector<std::string> decoded;
    for (std::size_t i = 1; i < segs.size(); ++i) {
        auto d = percent_decode(segs[i]);
        if (!d) return fail(ErrorCode::bad_request, "malformed percent-encoding in the URL");
        decoded.push_back(std::move(*d));
    }
    HubFileRequest out;
    out.repo = decoded[0] + "/" + decoded[1];
    out.revision = decoded[3];
    for (std::size_t i = 4; i < decoded.size(); ++i) {
        if (i > 4) out.path += '/';
        out.path += decoded[i];
    }
    if (auto st = validate_repo(out.repo); !st) return tl::unexpected(st.error());
    if (auto st = validate_revision(out.revision); !st) return tl::unexpected(st.error());
    if (auto st = validate_file_path(out.path); !st) return tl::unexpected(st.error());
    return out;
}

bool host_header_allowed(std::string_view host, int port) {
    auto p = std::to_string(port);
    return iequals(host, "127.0.0.1:" + p) || iequals(host, "localhost:" + p);
}

RangeAnswer answer_range(std::string_view header, std::uint64_t size) {
    RangeAnswer whole{RangeAnswer::Kind::whole, 0, size};
    RangeAnswer unsatisfiable{RangeAnswer::Kind::unsatisfiable, 0, 0};
    header = trim(header);
    constexpr std::string_view unit = "bytes=";
    if (header.size() <= unit.size() || !iequals(header.substr(0, unit.size()), unit)) return whole;
    auto spec = trim(header.substr(unit.size()));
    if (spec.find(',') != std::string_view::npos) return whole; // several ranges: send it all
    auto dash = spec.find('-');
    if (dash == std::string_view::npos) return whole;
    auto a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
    if (a.empty()) { // suffix: the last n bytes
        auto n = parse_uint(b);
        if (!n) return whole;
        if (*n == 0 || size == 0) return unsatisfiable;
        std::uint64_t len = std::min(*n, size);
        return {RangeAnswer::Kind::partial, size - len, len};
    }
    auto first = parse_uint(a);
    if (!first) return whole;
    std::optional<std::uint64_t> last;
    if (!b.empty()) {
        last = parse_uint(b);
        if (!last || *last < *first) return whole; // RFC 9110: an invalid range is ignored
    }
    if (*first >= size) return unsatisfiable;
    std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
    return {RangeAnswer::Kind::partial, *first, end - *first + 1};
}

std::string_view content_type_for(std::string_view path) {
    constexpr std::string_view json = ".json";
    if (path.size() >= json.size() && iequals(path.substr(path.size() - json.size()), json)) return "application/json";
    return "application/octet-stream";
}

Result<std::string> random_token() { return util::random_hex(16); }

} // namespace tabagent::host
