#include "host/host.hpp"

#include "host/framing.hpp"
#include "host/writer.hpp"

#include <spdlog/spdlog.h>

namespace tabagent::host {

Host::Host(HostContext& ctx, const Router& router, std::uint32_t max_input_bytes)
    : m_ctx(ctx), m_router(router), m_max_input(max_input_bytes) {}

void Host::handle_frame(const std::string& body) {
    RequestId id;
    auto request = parse_request(body, id);
    if (!request) {
        spdlog::warn("bad request: {}", request.error().message);
        m_ctx.writer->send_reply(id, error_reply(id, request.error()));
        return;
    }
    const Router::Entry* entry = m_router.find(request->action);
    if (entry == nullptr) {
        Error err{ErrorCode::unknown_action, "unknown action: " + request->action.substr(0, 100),
                  {{"action", request->action.substr(0, 100)}}};
        m_ctx.writer->send_reply(request->id, error_reply(request->id, err));
        return;
    }
    spdlog::debug("request {} ({})", request->action, request->id.value.dump());
    auto task = [this, entry, req = std::move(*request)] {
        auto out = Router::dispatch(*entry, req, m_ctx);
        if (!out.frame.empty()) m_ctx.writer->send_frame(req.id, std::move(out.frame));
        else m_ctx.writer->send_reply(req.id, out.reply);
        if (out.after_send) out.after_send(); // e.g. start the job: its events follow the reply
    };
    (entry->lane == Lane::quick ? m_quick : m_slow).submit(std::move(task));
}

Host::Outcome Host::run(int input_fd) {
    FrameReader reader(input_fd, m_max_input);
    int exit_code = 0;
    while (true) {
        ReadResult frame = reader.next();
        if (frame.kind == ReadResult::Kind::frame) {
            handle_frame(frame.body);
            continue;
        }
        if (frame.kind == ReadResult::Kind::eof) {
            spdlog::info("stdin closed; exiting");
            break;
        }
        RequestId none;
        Error err;
        if (frame.kind == ReadResult::Kind::too_large) {
            err = Error{ErrorCode::message_too_large,
                        "message of " + std::to_string(frame.declared) + " bytes exceeds the limit of " +
                            std::to_string(m_max_input) + " bytes",
                        {{"length", frame.declared}, {"limit", m_max_input}}};
        } else if (frame.kind == ReadResult::Kind::truncated) {
            err = Error{ErrorCode::bad_request, "truncated message: the input ended inside a frame"};
        } else {
            err = Error{ErrorCode::internal, "cannot read stdin"};
        }
        spdlog::error("input stream unusable: {}", err.message);
        m_ctx.writer->send_reply(none, error_reply(none, err));
        exit_code = 1;
        break;
    }
    // Answer what was already read (a browser closing the port no longer reads it; a pipe
    // feeding a batch does), but never take more than about a second to exit.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
    bool drained = m_quick.drain(deadline) && m_slow.drain(deadline);
    if (!drained) spdlog::warn("exiting with requests still running");
    m_ctx.writer->flush();
    return Outcome{exit_code, drained};
}

} // namespace tabagent::host
