#include "core/error.hpp"

#include "core/util/enum_names.hpp"

namespace tabagent {
namespace {
constexpr auto k_names = util::enum_names<ErrorCode>(
    "BAD_REQUEST", "MESSAGE_TOO_LARGE", "UNKNOWN_ACTION", "FORBIDDEN_ORIGIN", "INVALID_REPO", "INVALID_PATH",
    "NOT_FOUND", "AUTH_REQUIRED", "RATE_LIMITED", "NETWORK", "INTEGRITY", "DISK_FULL", "CANCELLED", "OFFLINE",
    "LOCKED", "REPLY_TOO_LARGE", "INTERNAL");
} // namespace

std::string_view to_string(ErrorCode code) { return k_names.name(code, "INTERNAL"); }

bool parse_error_code(std::string_view name, ErrorCode& out) { return k_names.parse(name, out); }

nlohmann::json Error::to_json() const {
    nlohmann::json j{{"code", to_string(code)}, {"message", message}};
    j["details"] = details.is_null() ? nlohmann::json::object() : details;
    return j;
}

} // namespace tabagent
