#pragma once
// Reply and event shapes of DESIGN §3. Errors are mapped to the wire exactly once, here.
#include "core/error.hpp"
#include "host/request.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace tabagent::host {

// What a handler returns on success: the payload plus fields the extension reads at top level.
struct Reply {
    nlohmann::json payload = nlohmann::json::object();
    nlohmann::json top = nlohmann::json::object();
    // Runs after the reply is queued: starts a job so its events follow the reply.
    std::function<void()> after_send;
    // When set, the whole encoded reply frame (length prefix included), sent as is instead of
    // payload/top: get_file's, built in one buffer (host/data_frame.hpp).
    std::string frame;
};

// A reply carrying `payload` (and nothing at the top level).
Reply payload_reply(nlohmann::json payload);
nlohmann::json success_reply(const RequestId& id, Reply reply);
// status "error" (or "auth_required" for AUTH_REQUIRED, with instructions).
nlohmann::json error_reply(const RequestId& id, const Error& error);
// {"type":..., "payload":...}; never carries messageId.
nlohmann::json make_event(std::string type, nlohmann::json payload);

} // namespace tabagent::host
