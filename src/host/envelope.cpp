#include "host/envelope.hpp"

namespace tabagent::host {

namespace {
nlohmann::json with_id(const RequestId& id) {
    nlohmann::json j = nlohmann::json::object();
    j[id.field] = id.value;
    return j;
}
} // namespace

Reply payload_reply(nlohmann::json payload) {
    Reply r;
    r.payload = std::move(payload);
    return r;
}

nlohmann::json success_reply(const RequestId& id, Reply reply) {
    nlohmann::json j = with_id(id);
    j["status"] = "success";
    if (reply.top.is_object())
        for (auto& [key, value] : reply.top.items()) j[key] = value;
    j["payload"] = std::move(reply.payload);
    return j;
}

nlohmann::json error_reply(const RequestId& id, const Error& error) {
    nlohmann::json j = with_id(id);
    if (error.code == ErrorCode::auth_required) {
        j["status"] = "auth_required";
        j["provider"] = "huggingface";
        if (error.details.contains("repo")) j["repo"] = error.details["repo"];
        j["message"] = error.message;
        j["instructions"] = {
            {"step1", "Open https://huggingface.co/settings/tokens and create a read token"},
            {"step2", "If the model is gated, open its page on huggingface.co and accept its terms"},
            {"step3", "Send {\"action\":\"set_hf_token\",\"token\":\"hf_...\"} (or run: tabagent-cache --token ...)"},
            {"step4", "Retry the download"},
        };
        j["error"] = error.to_json();
        return j;
    }
    j["status"] = "error";
    j["message"] = error.message;
    j["error"] = error.to_json();
    return j;
}

nlohmann::json make_event(std::string type, nlohmann::json payload) {
    return {{"type", std::move(type)}, {"payload", std::move(payload)}};
}

} // namespace tabagent::host
