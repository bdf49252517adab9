#pragma once
// The core services one host process owns: the core runtime (model service + job manager) with
// its events going to the frame writer, and the loopback file server.
#include "core/service/runtime.hpp"
#include "host/file_server.hpp"

#include <memory>
#include <mutex>

namespace tabagent::host {

class FrameWriter;

struct Services : service::Runtime {
    Services(const Config& config, FrameWriter& writer);

    // The loopback file server (open_file_server), started on first use; later calls get the
    // same one.
    Result<FileServerInfo> open_file_server();
    // For exit: stops the file server (its waits end, its threads are joined), then the jobs,
    // keeping their journals.
    void shutdown();

private:
    std::mutex m_file_server_mutex;
    std::unique_ptr<FileServer> m_file_server; // last: stopped before the services it reads
};

// modelWorkerLoadingProgress (and manifestUpdated after a finished download) as frames.
nlohmann::json progress_event_frame(const jobs::JobEvent& event);

} // namespace tabagent::host
