#include "core/hub/errors.hpp"

#include "core/hub/curl_library.hpp"
#include "core/util/time.hpp"

#include <curl/curl.h>

#include <charconv>
#include <cmath>
#include <ctime>

namespace tabagent::hub {

Error http_error(long http_status, const HttpFailureInfo& info) {
    nlohmann::json details{{"http_status", http_status}};
    if (!info.x_error_code.empty()) details["x_error_code"] = info.x_error_code;
    if (!info.x_error_message.empty()) details["x_error_message"] = info.x_error_message;
    if (!info.repo.empty()) details["repo"] = info.repo;
    if (!info.url.empty()) details["url"] = info.url;
    if (info.retry_after_seconds) details["retry_after"] = *info.retry_after_seconds;

    ErrorCode code = ErrorCode::network;
    std::string message;
    const std::string subject = info.repo.empty() ? std::string("the Hub") : info.repo;
    if (http_status == 401 || http_status == 403) {
        code = ErrorCode::auth_required;
        message = info.x_error_code == "GatedRepo"
                      ? subject + " is gated: accept its terms on the Hub and set a token"
                      : "authentication required for " + subject;
    } else if (http_status == 404) {
        code = ErrorCode::not_found;
        if (info.x_error_code == "EntryNotFound") message = "file not found in " + subject;
        else if (info.x_error_code == "RevisionNotFound") message = "revision not found in " + subject;
        else if (info.x_error_code == "RepoNotFound") message = "repository not found: " + subject;
        else message = "not found: " + (info.url.empty() ? subject : info.url);
    } else if (http_status == 429) {
        code = ErrorCode::rate_limited;
        message = "rate limited by the Hub";
    } else if (http_status >= 500) {
        message = "server error " + std::to_string(http_status);
    } else {
        message = "unexpected HTTP status " + std::to_string(http_status);
    }
    if (!info.x_error_message.empty()) message += " (" + info.x_error_message + ")";
    Error error{code, std::move(message), std::move(details)};
    error.http_status = static_cast<int>(http_status);
    return error;
}

Error transport_error(int curl_code, std::string_view detail) {
    const auto code = static_cast<CURLcode>(curl_code);
    std::string reason = "transfer";
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: reason = "dns"; break;
    case CURLE_COULDNT_CONNECT: reason = "connect"; break;
    case CURLE_OPERATION_TIMEDOUT: reason = "timeout"; break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE: reason = "tls"; break;
    default: break;
    }
    // A curl code implies libcurl was loaded; the fallback only keeps this function total.
    auto api = load_curl();
    std::string message = "network error: " + (api ? std::string((*api)->easy_strerror(code))
                                                    : "curl error " + std::to_string(curl_code));
    if (!detail.empty()) message += " (" + std::string(detail) + ")";
    ErrorCode protocol_code =
        code == CURLE_ABORTED_BY_CALLBACK ? ErrorCode::cancelled : ErrorCode::network;
    Error error{protocol_code, std::move(message), {{"curl_code", curl_code}, {"reason", reason}}};
    error.curl_code = curl_code;
    return error;
}

bool is_retryable(const Error& error) {
    if (error.code == ErrorCode::rate_limited) return true;
    if (error.code != ErrorCode::network) return false;
    return error.http_status == 0 || error.http_status == 408 || error.http_status >= 500;
}

std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc{} && end == value.data() + value.size())
        return seconds < 0 ? std::nullopt : std::optional<double>(static_cast<double>(seconds));
    const auto when = util::parse_http_date(value); // e.g. "Wed, 21 Oct 2015 07:28:00 GMT"
    if (!when) return std::nullopt;
    const double delta = std::chrono::duration<double>(*when - now).count();
    return delta < 0 ? 0.0 : delta;
}

} // namespace tabagent::hub
