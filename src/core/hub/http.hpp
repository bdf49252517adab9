#pragma once
// Small synchronous HTTP helpers on one libcurl easy handle, shared by the Hub client and the
// download engine (header parsing, URL pieces). Not a general HTTP library.
#include "core/error.hpp"
#include "core/hub/errors.hpp"

#include <curl/curl.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::hub {

// Response headers of the LAST response of an exchange (a redirect's headers are dropped when the
// next status line arrives). Names are lower-case.
struct ResponseHeaders {
    long status = 0;
    std::map<std::string, std::string> fields;

    // One line as given to CURLOPT_HEADERFUNCTION; "HTTP/..." status lines start a new response.
    void feed(std::string_view line);
    std::string get(std::string_view lower_name) const;
    HttpFailureInfo failure_info(std::string repo, std::string url) const;
};

struct HttpRequest {
    std::string url;
    bool head = false;
    bool follow_redirects = false;
    std::vector<std::string> headers; // full lines, e.g. "Authorization: Bearer ..."
    long connect_timeout_ms = 10'000;
    long timeout_ms = 60'000;
    std::size_t max_body = 64u << 20; // metadata only: larger bodies are a protocol error
};

struct HttpResponse {
    long status = 0;
    ResponseHeaders headers;
    std::string body;
    std::string effective_url;
};

// Performs `request` on `easy` (curl_easy_reset first, so the handle keeps only its connection
// cache). Any HTTP status is a success here; transport failures -> transport_error().
Result<HttpResponse> perform(CURL* easy, const HttpRequest& request);

// Percent-encodes one path segment (RFC 3986 unreserved characters kept).
std::string encode_segment(std::string_view segment);
// Percent-encodes each '/'-separated segment, keeping the slashes.
std::string encode_path(std::string_view path);
// "https://host:port/a?b" -> "https://host:port/a": for logs and error details (signed URLs).
std::string strip_query(std::string_view url);
// "scheme://host:port" of an absolute URL, lower-case; empty when not parseable. Two URLs with the
// same origin may share credentials (the rule libcurl applies to redirects).
std::string url_origin(std::string_view url);

std::string user_agent();

} // namespace tabagent::hub
