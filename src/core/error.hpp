#pragma once
// The one error type of the core. `code` is the protocol's error code (DESIGN §3); transport
// details (HTTP status, curl code) stay in their own fields so the edges can report them.
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <string>
#include <string_view>

namespace tabagent {

// The protocol's error codes (DESIGN §3). to_string spells them exactly as the protocol does
// ("BAD_REQUEST", "NOT_FOUND", ...); parse_error_code is the inverse (false when the name is unknown).
enum class ErrorCode {
    bad_request, message_too_large, unknown_action, forbidden_origin, invalid_repo, invalid_path,
    not_found, auth_required, rate_limited, network, integrity, disk_full, cancelled, offline, locked,
    reply_too_large, internal
};
std::string_view to_string(ErrorCode code);
bool parse_error_code(std::string_view name, ErrorCode& out);

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
    nlohmann::json details = nlohmann::json::object();
    int http_status = 0; // 0 when no HTTP exchange was involved
    int curl_code = 0;   // CURLcode, 0 when not a transport failure

    Error() = default;
    Error(ErrorCode c, std::string msg, nlohmann::json det = nlohmann::json::object())
        : code(c), message(std::move(msg)), details(std::move(det)) {}

    // {"code","message","details"} as carried in replies and terminal events.
    nlohmann::json to_json() const;
};

template <class T> using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message,
                                  nlohmann::json details = nlohmann::json::object()) {
    return tl::unexpected<Error>(Error{code, std::move(message), std::move(details)});
}

} // namespace tabagent
