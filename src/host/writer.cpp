#include "host/writer.hpp"

#include "host/envelope.hpp"
#include "host/framing.hpp"

#include <spdlog/spdlog.h>

namespace tabagent::host {

FrameWriter::FrameWriter(Sink sink, std::size_t max_frame_bytes)
    : m_sink(std::move(sink)), m_max(max_frame_bytes),
      m_thread([this](std::stop_token st) { run(st); }) {}

FrameWriter::~FrameWriter() {
    flush();
    m_thread.request_stop();
    m_cv.notify_all();
}

std::string FrameWriter::serialize(const nlohmann::json& j) {
    // File names from other tools may hold invalid UTF-8; replace rather than throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
std::string too_large_body(const RequestId& id, std::size_t bytes, std::size_t limit) {
    spdlog::warn("reply of {} bytes exceeds the {} byte frame limit; sending REPLY_TOO_LARGE", bytes, limit);
    Error err{ErrorCode::reply_too_large, "reply exceeds the 1 MiB native-messaging frame limit",
              {{"bytes", bytes}, {"limit", limit}}};
    return FrameWriter::serialize(error_reply(id, err));
}
} // namespace

void FrameWriter::send_reply(const RequestId& id, const nlohmann::json& reply) {
    std::string body = serialize(reply);
    if (body.size() > m_max) body = too_large_body(id, body.size(), m_max);
    enqueue(encode_frame(body));
}

void FrameWriter::send_frame(const RequestId& id, std::string frame) {
    std::size_t body = frame.size() - 4;
    if (body > m_max) frame = encode_frame(too_large_body(id, body, m_max));
    enqueue(std::move(frame));
}

void FrameWriter::send_event(const nlohmann::json& event) {
    std::string body = serialize(event);
    if (body.size() > m_max) {
        spdlog::warn("dropping an event of {} bytes (over the frame limit)", body.size());
        return;
    }
    enqueue(encode_frame(body));
}

void FrameWriter::enqueue(std::string frame) {
    {
        std::lock_guard lock(m_mutex);
        if (m_peer_gone) return;
        m_queue.push_back(std::move(frame));
    }
    m_cv.notify_one();
}

void FrameWriter::flush() {
    std::unique_lock lock(m_mutex);
    m_drained.wait(lock, [&] { return (m_queue.empty() && !m_writing) || m_peer_gone; });
}

bool FrameWriter::peer_gone() const {
    std::lock_guard lock(m_mutex);
    return m_peer_gone;
}

std::size_t FrameWriter::frames_written() const {
    std::lock_guard lock(m_mutex);
    return m_written;
}

void FrameWriter::run(std::stop_token stop) {
    std::unique_lock lock(m_mutex);
    while (true) {
        m_cv.wait(lock, stop, [&] { return !m_queue.empty(); });
        if (m_queue.empty()) break; // stop requested and nothing left
        std::string frame = std::move(m_queue.front());
        m_queue.pop_front();
        m_writing = true;
        lock.unlock();
        bool ok = m_sink(frame);
        lock.lock();
        m_writing = false;
        if (ok) ++m_written;
        else {
            m_peer_gone = true;
            m_queue.clear();
        }
        m_drained.notify_all();
    }
    m_drained.notify_all();
}

} // namespace tabagent::host
