#pragma once
// A download (or verify) job as the rest of the product sees it: what it is for, where it stands,
// and the progress report it sends out.
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::jobs {

enum class JobKind { download_files, download_quant, verify };
enum class JobStatus { queued, running, paused, done, error, cancelled };
// What one progress event says, as the wire's `status` spells it (to_string).
enum class EventKind { queued, initiate, progress, paused, done, error, cancelled };

std::string_view to_string(JobKind kind);
std::string_view to_string(JobStatus status);
std::string_view to_string(EventKind kind);
bool parse_job_kind(std::string_view s, JobKind& out);
// done, error, cancelled: the job's last word.
bool is_terminal(JobStatus s);
bool is_terminal(EventKind kind);
// "waiting for the Hub, 42 s" (seconds rounded up): the message of a job that waits for the Hub,
// as the extension and the CLI show it; empty when it does not wait.
std::string hub_wait_message(const std::optional<double>& seconds);

// What to do. Two specs with the same key are the same work: a second request joins the first.
struct JobSpec {
    JobKind kind = JobKind::download_files;
    std::string repo;
    std::string revision = "main";
    std::string quant;              // download_quant
    std::vector<std::string> files; // download_files: paths in the repo
    std::string key() const;
    nlohmann::json to_json() const;
    static std::optional<JobSpec> from_json(const nlohmann::json& j);
};

// A file being transferred right now, for per-file progress (the CLI's bars). The protocol's
// events do not carry it. Speed and ETA come from the job manager's meters: the same window and
// clock as the job's total, so the speeds of the files in flight add up to the job's speed.
struct FileProgress {
    FileProgress() = default;
    // What a runner knows; the manager adds the speed and ETA.
    FileProgress(std::string path_in, std::uint64_t loaded_in, std::uint64_t total_in)
        : path(std::move(path_in)), loaded(loaded_in), total(total_in) {}

    std::string path;
    std::uint64_t loaded = 0;
    std::uint64_t total = 0;
    double bytes_per_second = 0;
    std::optional<double> eta_seconds; // none while the file's rate is unknown
};

// Where a job stands: what its events and list_downloads report.
struct JobProgress {
    std::uint64_t loaded = 0; // bytes done over the whole job (never decreases)
    std::uint64_t total = 0;
    int files_done = 0;
    int files_total = 0;
    std::string file;                              // the file being worked on, if any
    std::uint64_t file_loaded = 0, file_total = 0; // progress of `file`
    double bytes_per_second = 0;
    std::optional<double> eta_seconds;
    std::string message;
    std::vector<FileProgress> active_files; // files in flight (download jobs), by path
    // Waiting for the Hub (429 Retry-After, backoff, the host's request budget): seconds left.
    std::optional<double> retry_in_seconds;
};

// One progress report of a job.
struct JobEvent : JobProgress {
    std::string job_id;
    nlohmann::json request_id; // messageId of the request that started the job; null after restart
    EventKind status = EventKind::progress;
    JobSpec spec;
    std::optional<Error> error; // terminal error / cancelled
    bool cached = false;        // done without downloading anything
    nlohmann::json result;      // kind-specific summary on done (e.g. verify report)
};

// A snapshot for list_downloads (wire::to_json).
struct JobInfo : JobProgress {
    std::string job_id;
    nlohmann::json request_id;
    JobSpec spec;
    JobStatus status = JobStatus::queued;
    std::optional<Error> error;
    bool resumed_from_journal = false;
};

} // namespace tabagent::jobs
