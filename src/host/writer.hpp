#pragma once
// The single writer: every frame to the browser goes through one FIFO queue and one thread, so
// frames never interleave and a reply queued before a job starts is written before its events.
#include "host/request.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace tabagent::host {

class FrameWriter {
public:
    // `sink` writes one whole encoded frame; returns false when the peer is gone.
    using Sink = std::function<bool(std::string_view)>;
    explicit FrameWriter(Sink sink, std::size_t max_frame_bytes = 1024 * 1024);
    ~FrameWriter();
    FrameWriter(const FrameWriter&) = delete;
    FrameWriter& operator=(const FrameWriter&) = delete;

    // A reply whose frame would exceed the limit is replaced by a REPLY_TOO_LARGE error reply.
    void send_reply(const RequestId& id, const nlohmann::json& reply);
    // An already encoded reply frame (length prefix included), queued without a copy; over the
    // limit, the same REPLY_TOO_LARGE as send_reply.
    void send_frame(const RequestId& id, std::string frame);
    // An event over the limit is dropped (and logged): events are advisory.
    void send_event(const nlohmann::json& event);
    // Blocks until everything queued so far is written (or the peer is gone).
    void flush();
    bool peer_gone() const;
    std::size_t frames_written() const;

    static std::string serialize(const nlohmann::json& j);

private:
    void enqueue(std::string frame); // an encoded frame
    void run(std::stop_token stop);

    Sink m_sink;
    std::size_t m_max;
    mutable std::mutex m_mutex;
    std::condition_variable_any m_cv;
    std::condition_variable_any m_drained;
    std::deque<std::string> m_queue;
    bool m_writing = false;
    bool m_peer_gone = false;
    std::size_t m_written = 0;
    std::jthread m_thread; // last: started after the members it uses
};

} // namespace tabagent::host
