#pragma once
// The host's main loop: the calling thread reads frames; quick handlers run on one lane, slow ones
// on a pool; replies and events leave through the single FrameWriter.
#include "host/context.hpp"
#include "host/router.hpp"
#include "core/util/worker_pool.hpp"

namespace tabagent::host {

class Host {
public:
    Host(HostContext& ctx, const Router& router, std::uint32_t max_input_bytes);
    struct Outcome {
        int exit_code = 0;    // 0 on EOF, 1 when the stream could not be trusted any more
        bool finished = true; // false when handlers were still running at the deadline
    };
    // Reads until EOF or an unrecoverable framing error.
    Outcome run(int input_fd);

private:
    void handle_frame(const std::string& body);

    HostContext& m_ctx;
    const Router& m_router;
    std::uint32_t m_max_input;
    util::WorkerPool m_quick{1};
    util::WorkerPool m_slow{4};
};

} // namespace tabagent::host
