#include "host/request.hpp"

#include "core/util/utf8.hpp"

namespace tabagent::host {

int json_depth_at_most(std::string_view text, int limit) {
    int depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '{' || c == '[') {
            if (++depth > deepest) deepest = depth;
            if (deepest > limit) return deepest;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

namespace {
RequestId recover_id(const nlohmann::json& body) {
    RequestId id;
    if (!body.is_object()) return id;
    auto pick = [&](const char* field) {
        auto it = body.find(field);
        if (it != body.end() && (it->is_string() || it->is_number())) {
            id.field = field;
            id.value = *it;
            return true;
        }
        return false;
    };
    if (!pick("messageId")) pick("request_id");
    return id;
}
} // namespace

Result<Request> parse_request(const std::string& frame_body, RequestId& id) {
    id = RequestId{};
    if (frame_body.empty()) return fail(ErrorCode::bad_request, "empty message");
    if (!util::is_valid_utf8(frame_body)) return fail(ErrorCode::bad_request, "message is not valid UTF-8");
    if (json_depth_at_most(frame_body, k_max_json_depth) > k_max_json_depth)
        return fail(ErrorCode::bad_request, "JSON nested deeper than " + std::to_string(k_max_json_depth) + " levels");
    nlohmann::json body = nlohmann::json::parse(frame_body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return fail(ErrorCode::bad_request, "message is not valid JSON");
    if (!body.is_object()) return fail(ErrorCode::bad_request, "message must be a JSON object");
    id = recover_id(body);
    auto action = body.find("action");
    if (action == body.end()) return fail(ErrorCode::bad_request, "missing \"action\"");
    if (!action->is_string()) return fail(ErrorCode::bad_request, "\"action\" must be a string");
    Request req;
    req.action = action->get<std::string>();
    req.id = id;
    req.body = std::move(body);
    return req;
}

} // namespace tabagent::host
