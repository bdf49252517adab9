#include "core/jobs/job.hpp"

#include <algorithm>

namespace tabagent::jobs {

std::string_view to_string(JobKind kind) {
    switch (kind) {
    case JobKind::download_files: return "download_files";
    case JobKind::download_quant: return "download_quant";
    case JobKind::verify: return "verify";
    }
    return "download_files";
}

bool parse_job_kind(std::string_view s, JobKind& out) {
    for (auto k : {JobKind::download_files, JobKind::download_quant, JobKind::verify})
        if (to_string(k) == s) {
            out = k;
            return true;
        }
    return false;
}

std::string_view to_string(JobStatus status) {
    switch (status) {
    case JobStatus::queued: return "queued";
    case JobStatus::running: return "running";
    case JobStatus::paused: return "paused";
    case JobStatus::done: return "done";
    case JobStatus::error: return "error";
    case JobStatus::cancelled: return "cancelled";
    }
    return "error";
}

bool is_terminal(JobStatus s) { return s == JobStatus::done || s == JobStatus::error || s == JobStatus::cancelled; }

std::string JobSpec::key() const {
    auto sorted = files;
    std::sort(sorted.begin(), sorted.end());
    std::string k = std::string(to_string(kind)) + "|" + repo + "|" + revision + "|" + quant;
    for (const auto& f : sorted) k += "|" + f;
    return k;
}

nlohmann::json JobSpec::to_json() const {
    return {{"kind", to_string(kind)}, {"repo", repo}, {"revision", revision}, {"quant", quant}, {"files", files}};
}

std::optional<JobSpec> JobSpec::from_json(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    JobSpec s;
    if (!parse_job_kind(j.value("kind", ""), s.kind)) return std::nullopt;
    s.repo = j.value("repo", "");
    s.revision = j.value("revision", "main");
    s.quant = j.value("quant", "");
    if (j.contains("files") && j["files"].is_array())
        for (const auto& f : j["files"])
            if (f.is_string()) s.files.push_back(f.get<std::string>());
    if (s.repo.empty()) return std::nullopt;
    return s;
}

nlohmann::json JobInfo::to_json() const {
    nlohmann::json j = {{"jobId", job_id},
                        {"requestId", request_id},
                        {"kind", to_string(spec.kind)},
                        {"repo", spec.repo},
                        {"revision", spec.revision},
                        {"quant", spec.quant},
                        {"files", spec.files},
                        {"status", to_string(status)},
                        {"loaded", loaded},
                        {"total", total},
                        {"progress", total ? 100.0 * static_cast<double>(loaded) / static_cast<double>(total) : 0.0},
                        {"filesDone", files_done},
                        {"filesTotal", files_total},
                        {"bytesPerSecond", bytes_per_second},
                        {"file", file},
                        {"message", message},
                        {"resumed", resumed_from_journal}};
    if (error) j["error"] = error->to_json();
    return j;
}

} // namespace tabagent::jobs
