#include "core/hub/http.hpp"

#include "core/hub/curl_handles.hpp"

#include <algorithm>
#include <cctype>

namespace tabagent::hub {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n'))
        text.remove_suffix(1);
    return text;
}

struct Capture {
    HttpResponse* response;
    std::size_t max_body;
    bool too_large = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* capture = static_cast<Capture*>(user);
    capture->response->headers.feed(std::string_view(data, size * count));
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* capture = static_cast<Capture*>(user);
    const size_t n = size * count;
    if (capture->response->body.size() + n > capture->max_body) {
        capture->too_large = true;
        return 0;
    }
    capture->response->body.append(data, n);
    return n;
}

} // namespace

void ResponseHeaders::feed(std::string_view line) {
    line = trim(line);
    if (line.empty()) return;
    if (line.rfind("HTTP/", 0) == 0) {
        fields.clear();
        status = 0;
        const auto space = line.find(' ');
        if (space != std::string_view::npos) {
            auto rest = line.substr(space + 1);
            long code = 0;
            for (char c : rest.substr(0, 3))
                if (c >= '0' && c <= '9') code = code * 10 + (c - '0');
            status = code;
        }
        return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    fields[lower(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
}

std::string ResponseHeaders::get(std::string_view lower_name) const {
    auto it = fields.find(std::string(lower_name));
    return it == fields.end() ? std::string() : it->second;
}

HttpFailureInfo ResponseHeaders::failure_info(std::string repo, std::string url) const {
    HttpFailureInfo info;
    info.x_error_code = get("x-error-code");
    info.x_error_message = get("x-error-message");
    if (auto retry = get("retry-after"); !retry.empty()) info.retry_after_seconds = parse_retry_after(retry);
    info.repo = std::move(repo);
    info.url = strip_query(url);
    return info;
}

Result<HttpResponse> perform(CURL* easy, const HttpRequest& request) {
    const CurlApi& api = curl();
    api.easy_reset(easy);
    HttpResponse response;
    Capture capture{&response, request.max_body};
    CurlSlist headers;
    for (const auto& line : request.headers)
        if (!slist_append(headers, line.c_str()))
            return fail(ErrorCode::internal, "out of memory building headers");
    char error_buffer[CURL_ERROR_SIZE] = {};
    const std::string agent = user_agent();
    api.easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    api.easy_setopt(easy, CURLOPT_USERAGENT, agent.c_str());
    api.easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
    api.easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
    api.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
    api.easy_setopt(easy, CURLOPT_TIMEOUT_MS, request.timeout_ms);
    api.easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    api.easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, ""); // metadata may come compressed
    // A custom Authorization header is only sent to the original host: libcurl drops it on a
    // redirect to another host/port/scheme unless CURLOPT_UNRESTRICTED_AUTH, which we never set.
    api.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
    api.easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
    api.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    api.easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (request.head) api.easy_setopt(easy, CURLOPT_NOBODY, 1L);
    api.easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    api.easy_setopt(easy, CURLOPT_HEADERDATA, &capture);
    api.easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    api.easy_setopt(easy, CURLOPT_WRITEDATA, &capture);
    const CURLcode rc = api.easy_perform(easy);
    // The handle must not keep pointers into this frame.
    api.easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
    api.easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
    if (capture.too_large)
        return fail(ErrorCode::network, "response body too large", {{"url", strip_query(request.url)}});
    if (rc != CURLE_OK) return tl::unexpected(transport_error(rc, error_buffer));
    long status = 0;
    api.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    const char* effective = nullptr;
    api.easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
    response.effective_url = effective ? effective : request.url;
    return response;
}

std::string encode_segment(std::string_view segment) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(segment.size());
    for (unsigned char c : segment) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(k_hex[c >> 4]);
            out.push_back(k_hex[c & 15]);
        }
    }
    return out;
}

std::string encode_path(std::string_view path) {
    std::string out;
    size_t start = 0;
    while (true) {
        const auto slash = path.find('/', start);
        out += encode_segment(path.substr(start, slash - start));
        if (slash == std::string_view::npos) break;
        out.push_back('/');
        start = slash + 1;
    }
    return out;
}

std::string strip_query(std::string_view url) {
    return std::string(url.substr(0, url.find_first_of("?#")));
}

std::string url_origin(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return {};
    const std::string scheme = lower(url.substr(0, scheme_end));
    auto rest = url.substr(scheme_end + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    std::string authority = lower(rest);
    const bool has_port = !authority.empty() && authority.back() != ']' &&
                          authority.find(':', authority.rfind(']') == std::string::npos
                                                  ? 0
                                                  : authority.rfind(']')) != std::string::npos;
    if (!has_port) authority += scheme == "https" ? ":443" : ":80";
    return scheme + "://" + authority;
}

std::string user_agent() { return std::string("tabagent/") + TABAGENT_VERSION; }

} // namespace tabagent::hub
