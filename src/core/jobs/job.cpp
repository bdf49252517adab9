#include "core/jobs/job.hpp"

#include "core/util/enum_names.hpp"

#include <algorithm>
#include <cmath>

namespace tabagent::jobs {

namespace {
constexpr auto k_kind_names = util::enum_names<JobKind>("download_files", "download_quant", "verify");
constexpr auto k_status_names =
    util::enum_names<JobStatus>("queued", "running", "paused", "done", "error", "cancelled");
constexpr auto k_event_names =
    util::enum_names<EventKind>("queued", "initiate", "progress", "paused", "done", "error", "cancelled");
} // namespace

std::string_view to_string(JobKind kind) { return k_kind_names.name(kind, "download_files"); }
std::string_view to_string(JobStatus status) { return k_status_names.name(status, "error"); }
std::string_view to_string(EventKind kind) { return k_event_names.name(kind, "error"); }
bool parse_job_kind(std::string_view s, JobKind& out) { return k_kind_names.parse(s, out); }

bool is_terminal(JobStatus s) { return s == JobStatus::done || s == JobStatus::error || s == JobStatus::cancelled; }

bool is_terminal(EventKind kind) {
    return kind == EventKind::done || kind == EventKind::error || kind == EventKind::cancelled;
}

std::string hub_wait_message(const std::optional<double>& seconds) {
    if (!seconds) return {};
    return "waiting for the Hub, " + std::to_string(static_cast<long long>(std::ceil(*seconds))) + " s";
}

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

} // namespace tabagent::jobs
