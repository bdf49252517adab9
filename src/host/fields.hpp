#pragma once
// Reading request fields with the aliases the extension uses; wrong types are BAD_REQUEST.
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

// Unwraps a Result into `var`, or returns its error from the enclosing handler.
#define TRY_ASSIGN(var, expr)                                                                      \
    auto var##_result = (expr);                                                                    \
    if (!var##_result) return tl::unexpected(var##_result.error());                                \
    auto var = std::move(*var##_result)

namespace tabagent::host {

// First of `names` present and non-null; must be a string.
Result<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                   std::initializer_list<const char*> names);
Result<std::string> required_string(const nlohmann::json& body, std::initializer_list<const char*> names);
// Non-negative integer (a JSON number, or a string of digits).
Result<std::optional<std::uint64_t>> optional_uint(const nlohmann::json& body, const char* name);
Result<bool> optional_bool(const nlohmann::json& body, const char* name, bool fallback);
// The optional "revision" field; "main" when absent or not a string.
std::string revision_field(const nlohmann::json& body);

} // namespace tabagent::host
