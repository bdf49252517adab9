#include "host/router.hpp"

#include <spdlog/spdlog.h>

namespace tabagent::host {

void Router::add(std::string action, Handler handler, Lane lane) {
    m_entries[std::move(action)] = Entry{std::move(handler), lane};
}

const Router::Entry* Router::find(const std::string& action) const {
    auto it = m_entries.find(action);
    return it == m_entries.end() ? nullptr : &it->second;
}

std::vector<std::string> Router::actions() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : m_entries) out.push_back(name);
    return out;
}

Router::Dispatched Router::dispatch(const Entry& entry, const Request& request, HostContext& ctx) {
    try {
        auto result = entry.handler(request, ctx);
        if (result) {
            auto after = std::move(result->after_send);
            if (!result->frame.empty()) return {nullptr, std::move(result->frame), std::move(after)};
            return {success_reply(request.id, std::move(*result)), {}, std::move(after)};
        }
        if (result.error().code == ErrorCode::internal)
            spdlog::error("{} failed: {}", request.action, result.error().message);
        else
            spdlog::debug("{} -> {}: {}", request.action, to_string(result.error().code), result.error().message);
        return {error_reply(request.id, result.error()), {}, {}};
    } catch (const nlohmann::json::exception& e) {
        return {error_reply(request.id, Error{ErrorCode::bad_request, std::string("bad field: ") + e.what()}), {}, {}};
    } catch (const std::exception& e) {
        spdlog::error("{} threw: {}", request.action, e.what());
        return {error_reply(request.id, Error{ErrorCode::internal, e.what()}), {}, {}};
    }
}

} // namespace tabagent::host
