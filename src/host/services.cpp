#include "host/services.hpp"

#include "core/wire/wire.hpp"
#include "host/envelope.hpp"
#include "host/origin.hpp"
#include "host/writer.hpp"

namespace tabagent::host {

nlohmann::json progress_event_frame(const jobs::JobEvent& e) {
    nlohmann::json frame = make_event("modelWorkerLoadingProgress", wire::progress_payload(e));
    frame["jobId"] = e.job_id;
    frame["requestId"] = e.request_id;
    return frame;
}

Services::Services(const Config& config, FrameWriter& writer)
    : service::Runtime(config, [&writer](const jobs::JobEvent& event) {
          writer.send_event(progress_event_frame(event));
          if (event.status == jobs::EventKind::done && event.spec.kind != jobs::JobKind::verify)
              writer.send_event(make_event("manifestUpdated", {{"repo", event.spec.repo}}));
      }) {}

Result<FileServerInfo> Services::open_file_server() {
    std::lock_guard lock(m_file_server_mutex);
    if (m_file_server) return m_file_server->info();
    FileServer::Options options;
    options.allowed_extension_ids = allowed_extension_ids(models.config().data_dir);
    options.offline = models.config().offline;
    auto server = std::make_unique<FileServer>(models, jobs, std::move(options));
    auto info = server->start();
    if (!info) return tl::unexpected(info.error());
    m_file_server = std::move(server);
    return info;
}

void Services::shutdown() {
    {
        std::lock_guard lock(m_file_server_mutex);
        if (m_file_server) m_file_server->stop();
    }
    jobs.shutdown();
}

} // namespace tabagent::host
