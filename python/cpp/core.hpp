#pragma once
// The object behind tabagent_cache.ModelCache: one service::Runtime (the model service and the
// job manager with its journal, as the host and the CLI run them) and the event log its jobs
// write to. Every call runs with the GIL released and answers a JSON document in the shapes of
// the core's wire layer; errors stay Error values here (the binding raises them in Python).
#include "job_events.hpp"

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/service/runtime.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace tabagent::python {

class Core {
public:
    explicit Core(const Config& config);
    ~Core();
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    // Runs `work` on the open runtime; BAD_REQUEST once closed. Several calls may run at once.
    Result<nlohmann::json> with_runtime(const std::function<Result<nlohmann::json>(service::Runtime&)>& work);
    // Stops the jobs (their journals and partials stay: the next start resumes them) and the threads.
    void close();

    Result<nlohmann::json> config();
    Result<nlohmann::json> scan_repo(const std::string& repo, const std::string& revision);
    Result<nlohmann::json> get_manifest(const std::string& repo, const std::string& format);
    Result<nlohmann::json> list_models();
    Result<nlohmann::json> has_file(const std::string& repo, const std::string& file, const std::string& revision);
    Result<nlohmann::json> file_path(const std::string& repo, const std::string& file, const std::string& revision);
    Result<nlohmann::json> delete_model(const std::string& repo, const std::string& quant);
    Result<nlohmann::json> get_stats();
    Result<nlohmann::json> clean(std::optional<std::uint64_t> max_bytes, std::optional<double> older_than_seconds,
                                 bool dry_run);
    Result<nlohmann::json> set_token(const std::string& token, bool validate);
    Result<nlohmann::json> token_status();
    Result<nlohmann::json> clear_token();

    // kind: "download_files" | "download_quant" | "verify". Validates, submits and starts the job
    // (or resumes the paused one it joins): {jobId, joined}.
    Result<nlohmann::json> submit(const std::string& kind, const std::string& repo, const std::string& revision,
                                  const std::string& quant, const std::vector<std::string>& files);
    JobEvents::Batch wait_events(const std::string& job_id, std::uint64_t after, double timeout, double hold);
    // A finished job's result (job_result_json for downloads, the report for verify); its error
    // when it failed or was cancelled; NOT_FOUND while it has not ended.
    Result<nlohmann::json> job_result(const std::string& job_id);
    Result<nlohmann::json> list_downloads();
    Result<nlohmann::json> get_job(const std::string& job_id);
    Result<nlohmann::json> cancel(const std::string& job_id);
    Result<nlohmann::json> pause(const std::string& job_id);
    Result<nlohmann::json> resume(const std::string& job_id);

private:
    Result<nlohmann::json> job_control(const std::string& job_id, Status (jobs::JobManager::*op)(const std::string&));

    JobEvents m_events; // first: outlives the job threads that push into it
    std::shared_mutex m_mutex; // shared by calls, exclusive for close
    std::unique_ptr<service::Runtime> m_runtime;
};

} // namespace tabagent::python
