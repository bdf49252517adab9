#pragma once
// The ONE place where HTTP statuses and libcurl failures become protocol errors (DESIGN §3, §5).
// Used by the Hub client and by the download engine alike.
#include "core/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tabagent::hub {

// What the Hub told us about a failed request, besides the status.
struct HttpFailureInfo {
    std::string x_error_code;    // X-Error-Code: GatedRepo, RepoNotFound, EntryNotFound, ...
    std::string x_error_message; // X-Error-Message, human text
    std::optional<double> retry_after_seconds;
    std::string repo; // owner/name when known, copied into details
    std::string url;  // request URL (without query), for details; never carries a token
};

// 401/403 -> AUTH_REQUIRED, 404 -> NOT_FOUND, 429 -> RATE_LIMITED, 408/5xx -> NETWORK,
// other 4xx -> NETWORK (not retryable). Error::http_status is set; details carry http_status,
// x_error_code, repo and retry_after when present.
Error http_error(long http_status, const HttpFailureInfo& info);

// A libcurl transport failure (connect refused, DNS, timeout, TLS, dropped body...) -> NETWORK
// with Error::curl_code and details.reason; CURLE_ABORTED_BY_CALLBACK -> CANCELLED.
Error transport_error(int curl_code, std::string_view detail = {});

// Whether trying the same request again later can succeed: RATE_LIMITED, and NETWORK from a
// transport failure, 408 or 5xx. AUTH_REQUIRED, NOT_FOUND and other 4xx are final.
bool is_retryable(const Error& error);

// Retry-After is either delta-seconds or an HTTP-date; nullopt when malformed.
std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now =
                                            std::chrono::system_clock::now());

} // namespace tabagent::hub
