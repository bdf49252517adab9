#pragma once
// Runs jobs: a bounded number at once (others queued), cancel / pause / resume, one progress
// stream per job (throttled, never backwards, exactly one terminal event), and a journal in the
// data dir so unfinished jobs survive a restart.
#include "core/jobs/job.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>

namespace tabagent::jobs {

// Handed to a runner: how it reports and how it learns that it must stop.
class JobControl {
public:
    virtual ~JobControl() = default;
    virtual std::stop_token stop_token() const = 0;
    // The job's id (e.g. for a LOCKED answer naming it); empty for runners outside a JobManager.
    virtual std::string job_id() const { return {}; }
    // Sizes are known once the job is planned (total bytes still to fetch plus those present).
    virtual void set_totals(std::uint64_t total_bytes, int files_total) = 0;
    // Absolute bytes done for the whole job; throttled to one event per interval. `file_loaded`
    // and `file_total` describe `file` (0/0 when unknown).
    virtual void report(std::uint64_t loaded, const std::string& file, int files_done,
                        std::uint64_t file_loaded = 0, std::uint64_t file_total = 0) = 0;
    // e.g. "waiting for another process downloading this file"; sent as a queued event.
    virtual void waiting(const std::string& message) = 0;
    virtual void set_cached(bool cached) = 0;
    virtual void set_result(nlohmann::json result) = 0;
    // Files in flight with their own bytes; carried by the next events, with each file's speed
    // and ETA filled in by the manager (runners leave those empty). Optional for runners.
    virtual void set_active_files(std::vector<FileProgress> files) { (void)files; }
    // The job waits for the Hub (seconds left; nullopt when it no longer does): the events carry
    // retryInSeconds and the message "waiting for the Hub, N s". The first wait is sent at once.
    virtual void hub_wait(std::optional<double> seconds) { (void)seconds; }
    // When the work was asked for (submit or restore): a listing made after it is fresh enough.
    virtual std::chrono::steady_clock::time_point submitted_at() const { return {}; }
};

// Does the work of one job; returns when done, failed, or stopped (stop_token). A stopped runner
// returns CANCELLED (or any error): the manager knows why it asked.
using Runner = std::function<Status(const JobSpec&, JobControl&)>;
using EventSink = std::function<void(const JobEvent&)>;

class JobManager {
public:
    using Clock = std::chrono::steady_clock;
    struct Options {
        int max_parallel = 2;
        std::filesystem::path journal_dir; // empty: no persistence
        std::chrono::milliseconds progress_interval{100};
        // The time for event throttling and the speed meters; tests pass a fake one.
        std::function<Clock::time_point()> clock = [] { return Clock::now(); };
    };
    JobManager(Options options, Runner runner, EventSink on_event);
    ~JobManager();
    JobManager(const JobManager&) = delete;
    JobManager& operator=(const JobManager&) = delete;

    struct Submitted {
        std::string job_id;
        bool joined = false; // the same work was already running: this is its job
    };
    // Registers the job but holds it until start(): the caller writes its reply first, so the
    // reply always precedes the job's events.
    Submitted submit(const JobSpec& spec, nlohmann::json request_id);
    void start(const std::string& job_id);

    Status cancel(const std::string& job_id);
    Status pause(const std::string& job_id);
    Status resume(const std::string& job_id);
    std::vector<JobInfo> list() const;
    std::optional<JobInfo> get(const std::string& job_id) const;

    // Loads journaled jobs from an earlier run: queued when auto_resume, else paused.
    // Returns how many were restored.
    int restore(bool auto_resume);
    // Stops every runner for exit, keeping journals so the next start resumes them.
    void shutdown();

private:
    struct State;
    class Control;
    enum class StopReason { none, cancel, pause, shutdown };

    void schedule_locked();
    void prune_finished_locked();
    void launch_locked(const std::shared_ptr<State>& job);
    void run_job(std::shared_ptr<State> job, std::stop_token stop);
    void finish(const std::shared_ptr<State>& job, Status result);
    void emit(const JobEvent& event);
    JobEvent base_event_locked(const State& job, EventKind kind) const;
    void persist_locked(const State& job);
    void forget_journal(const State& job);
    std::string new_job_id();

    Options m_options;
    Runner m_runner;
    EventSink m_on_event;
    mutable std::mutex m_mutex;
    std::condition_variable m_idle;
    std::map<std::string, std::shared_ptr<State>> m_jobs;
    std::vector<std::string> m_queue; // job ids waiting for a slot, FIFO
    int m_running = 0;
    bool m_shutting_down = false;
    std::uint64_t m_counter = 0;
};

} // namespace tabagent::jobs
