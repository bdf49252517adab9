#pragma once
// A parsed request: its action, the id it must be answered with, and the whole object.
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace tabagent::host {

inline constexpr int k_max_json_depth = 128;

struct RequestId {
    std::string field = "messageId"; // or "request_id" when the client used that name
    nlohmann::json value;            // null when the frame carried no usable id
};

struct Request {
    std::string action;
    RequestId id;
    nlohmann::json body; // the whole request object
};

// Turns one frame body into a request. On failure the error is BAD_REQUEST and `id` is filled
// with whatever id could be recovered, so the error reply can still be correlated.
Result<Request> parse_request(const std::string& frame_body, RequestId& id);

// Deepest nesting of arrays/objects, stopping early past `limit`; scans without recursion.
int json_depth_at_most(std::string_view text, int limit);

} // namespace tabagent::host
