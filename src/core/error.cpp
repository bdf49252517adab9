#include "core/error.hpp"

#include <array>
#include <utility>

namespace tabagent {
namespace {
constexpr std::array<std::pair<ErrorCode, std::string_view>, 17> k_names{{
    {ErrorCode::bad_request, "BAD_REQUEST"},
    {ErrorCode::message_too_large, "MESSAGE_TOO_LARGE"},
    {ErrorCode::unknown_action, "UNKNOWN_ACTION"},
    {ErrorCode::forbidden_origin, "FORBIDDEN_ORIGIN"},
    {ErrorCode::invalid_repo, "INVALID_REPO"},
    {ErrorCode::invalid_path, "INVALID_PATH"},
    {ErrorCode::not_found, "NOT_FOUND"},
    {ErrorCode::auth_required, "AUTH_REQUIRED"},
    {ErrorCode::rate_limited, "RATE_LIMITED"},
    {ErrorCode::network, "NETWORK"},
    {ErrorCode::integrity, "INTEGRITY"},
    {ErrorCode::disk_full, "DISK_FULL"},
    {ErrorCode::cancelled, "CANCELLED"},
    {ErrorCode::offline, "OFFLINE"},
    {ErrorCode::locked, "LOCKED"},
    {ErrorCode::reply_too_large, "REPLY_TOO_LARGE"},
    {ErrorCode::internal, "INTERNAL"},
}};
} // namespace

std::string_view to_string(ErrorCode code) {
    for (const auto& [c, name] : k_names)
        if (c == code) return name;
    return "INTERNAL";
}

bool parse_error_code(std::string_view name, ErrorCode& out) {
    for (const auto& [c, n] : k_names)
        if (n == name) {
            out = c;
            return true;
        }
    return false;
}

nlohmann::json Error::to_json() const {
    nlohmann::json j{{"code", to_string(code)}, {"message", message}};
    j["details"] = details.is_null() ? nlohmann::json::object() : details;
    return j;
}

} // namespace tabagent
