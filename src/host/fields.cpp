#include "host/fields.hpp"

#include <charconv>

namespace tabagent::host {

Result<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                   std::initializer_list<const char*> names) {
    for (const char* name : names) {
        auto it = body.find(name);
        if (it == body.end() || it->is_null()) continue;
        if (!it->is_string()) return fail(ErrorCode::bad_request, std::string("\"") + name + "\" must be a string");
        return std::optional<std::string>(it->get<std::string>());
    }
    return std::optional<std::string>{};
}

Result<std::string> required_string(const nlohmann::json& body, std::initializer_list<const char*> names) {
    auto v = optional_string(body, names);
    if (!v) return tl::unexpected(v.error());
    if (!*v || (*v)->empty())
        return fail(ErrorCode::bad_request, std::string("missing \"") + *names.begin() + "\"");
    return **v;
}

Result<std::optional<std::uint64_t>> optional_uint(const nlohmann::json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::optional<std::uint64_t>{};
    if (it->is_number_unsigned()) return std::optional<std::uint64_t>(it->get<std::uint64_t>());
    if (it->is_number_integer() && it->get<std::int64_t>() >= 0)
        return std::optional<std::uint64_t>(static_cast<std::uint64_t>(it->get<std::int64_t>()));
    if (it->is_number_float() && it->get<double>() >= 0 && it->get<double>() < 1.8e19)
        return std::optional<std::uint64_t>(static_cast<std::uint64_t>(it->get<double>()));
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        std::uint64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc{} && p == s.data() + s.size() && !s.empty()) return std::optional<std::uint64_t>(v);
    }
    return fail(ErrorCode::bad_request, std::string("\"") + name + "\" must be a non-negative integer");
}

Result<bool> optional_bool(const nlohmann::json& body, const char* name, bool fallback) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return fail(ErrorCode::bad_request, std::string("\"") + name + "\" must be a boolean");
    return it->get<bool>();
}

std::string revision_field(const nlohmann::json& body) {
    auto r = optional_string(body, {"revision"});
    return r && *r ? **r : "main";
}

} // namespace tabagent::host
