#include "host/services.hpp"

#include "host/envelope.hpp"
#include "host/origin.hpp"
#include "host/writer.hpp"

#include <cmath>

namespace tabagent::host {

nlohmann::json progress_event_frame(const jobs::JobEvent& e) {
    double progress = e.total ? 100.0 * static_cast<double>(e.loaded) / static_cast<double>(e.total)
                              : (e.status == "done" ? 100.0 : 0.0);
    nlohmann::json payload = {{"status", e.status},
                              {"kind", jobs::to_string(e.spec.kind)},
                              {"repo", e.spec.repo},
                              {"revision", e.spec.revision},
                              {"quant", e.spec.quant},
                              {"file", e.file},
                              {"fileLoaded", e.file_loaded},
                              {"fileTotal", e.file_total},
                              {"progress", std::round(progress * 100) / 100},
                              {"loaded", e.loaded},
                              {"total", e.total},
                              {"filesDone", e.files_done},
                              {"filesTotal", e.files_total},
                              {"bytesPerSecond", std::round(e.bytes_per_second)},
                              {"etaSeconds", e.eta_seconds ? nlohmann::json(std::round(*e.eta_seconds * 10) / 10)
                                                           : nlohmann::json(nullptr)},
                              {"message", e.message}};
    if (e.error && (e.status == "error" || e.status == "cancelled")) payload["error"] = e.error->to_json();
    if (e.status == "done") {
        payload["cached"] = e.cached;
        if (!e.result.is_null()) payload["result"] = e.result;
    }
    nlohmann::json frame = make_event("modelWorkerLoadingProgress", std::move(payload));
    frame["jobId"] = e.job_id;
    frame["requestId"] = e.request_id;
    return frame;
}

Services::Services(const Config& config, FrameWriter& writer)
    : models(config),
      jobs(
          [&] {
              jobs::JobManager::Options o;
              o.max_parallel = config.max_parallel_jobs;
              o.journal_dir = config.jobs_dir();
              return o;
          }(),
          [this](const jobs::JobSpec& spec, jobs::JobControl& control) { return models.run_job(spec, control); },
          [&writer](const jobs::JobEvent& event) {
              writer.send_event(progress_event_frame(event));
              if (event.status == "done" && event.spec.kind != jobs::JobKind::verify)
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
