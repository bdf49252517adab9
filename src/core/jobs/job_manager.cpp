#include "core/jobs/job_manager.hpp"
#include "core/util/fd.hpp"

#include "core/util/atomic_file.hpp"
#include "core/util/speed_meter.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace tabagent::jobs {
namespace fs = std::filesystem;
using Clock = JobManager::Clock;

namespace {
// Seconds until `total`; none while the rate is unknown or the total does not cover what is done.
std::optional<double> eta_for(const util::SpeedMeter& meter, std::uint64_t loaded, std::uint64_t total) {
    return total >= loaded ? meter.eta_seconds(total - loaded) : std::nullopt;
}
} // namespace

// The progress part (JobProgress) is what events and list() copy out.
struct JobManager::State : JobProgress {
    std::string id;
    nlohmann::json request_id;
    JobSpec spec;
    JobStatus status = JobStatus::queued;
    bool held = true;
    bool initiated = false;
    bool resumed_from_journal = false;
    StopReason stop_reason = StopReason::none;
    std::optional<Error> error;
    bool cached = false;
    nlohmann::json result;
    Clock::time_point last_emit{};
    Clock::time_point finished_at{};
    // Real time (not the options' clock): listings are shared by it (ListingFlights).
    std::chrono::steady_clock::time_point submitted_at = std::chrono::steady_clock::now();
    // One meter for the job's bytes and one per file in flight, fed from the same clock, so the
    // files' speeds add up to the job's.
    util::SpeedMeter meter;
    std::map<std::string, util::SpeedMeter, std::less<>> file_meters;
    std::jthread thread;
};

class JobManager::Control final : public JobControl {
public:
    Control(JobManager& manager, std::shared_ptr<State> job, std::stop_token stop)
        : m_manager(manager), m_job(std::move(job)), m_stop(std::move(stop)) {}

    std::stop_token stop_token() const override { return m_stop; }
    std::string job_id() const override { return m_job->id; } // set before the job runs, never changed

    void set_totals(std::uint64_t total_bytes, int files_total) override {
        std::lock_guard lock(m_manager.m_mutex);
        m_job->total = total_bytes;
        m_job->files_total = files_total;
    }

    void report(std::uint64_t loaded, const std::string& file, int files_done, std::uint64_t file_loaded,
                std::uint64_t file_total) override {
        std::optional<JobEvent> event;
        {
            std::lock_guard lock(m_manager.m_mutex);
            auto& j = *m_job;
            j.loaded = std::max(j.loaded, std::min(loaded, j.total ? j.total : loaded));
            j.files_done = std::max(j.files_done, files_done);
            if (!file.empty()) {
                j.file = file;
                j.file_loaded = file_loaded;
                j.file_total = file_total;
            }
            auto now = m_manager.m_options.clock();
            j.meter.record(j.loaded, now);
            j.bytes_per_second = j.meter.bytes_per_second();
            if (now - j.last_emit >= m_manager.m_options.progress_interval) {
                j.last_emit = now;
                j.message = hub_wait_message(j.retry_in_seconds);
                event = m_manager.base_event_locked(j, EventKind::progress);
            }
        }
        if (event) m_manager.emit(*event);
    }

    void waiting(const std::string& message) override {
        JobEvent event;
        {
            std::lock_guard lock(m_manager.m_mutex);
            m_job->message = message;
            event = m_manager.base_event_locked(*m_job, EventKind::queued);
        }
        m_manager.emit(event);
    }

    void hub_wait(std::optional<double> seconds) override {
        std::optional<JobEvent> event;
        {
            std::lock_guard lock(m_manager.m_mutex);
            auto& j = *m_job;
            if (!seconds && !j.retry_in_seconds) return; // not waiting, and was not
            const bool changed = seconds.has_value() != j.retry_in_seconds.has_value();
            const std::string message = hub_wait_message(seconds);
            const bool ticked = message != j.message;
            j.retry_in_seconds = seconds;
            j.message = message;
            const auto now = m_manager.m_options.clock();
            // The start and the end of a wait go out at once, the countdown's seconds throttled.
            if (changed || (ticked && now - j.last_emit >= m_manager.m_options.progress_interval)) {
                j.last_emit = now;
                event = m_manager.base_event_locked(j, EventKind::progress);
            }
        }
        if (event) m_manager.emit(*event);
    }

    std::chrono::steady_clock::time_point submitted_at() const override {
        std::lock_guard lock(m_manager.m_mutex);
        return m_job->submitted_at;
    }

    void set_cached(bool cached) override {
        std::lock_guard lock(m_manager.m_mutex);
        m_job->cached = cached;
    }

    void set_result(nlohmann::json result) override {
        std::lock_guard lock(m_manager.m_mutex);
        m_job->result = std::move(result);
    }

    void set_active_files(std::vector<FileProgress> files) override {
        std::lock_guard lock(m_manager.m_mutex);
        const auto now = m_manager.m_options.clock();
        std::map<std::string, util::SpeedMeter, std::less<>> meters;
        for (auto& f : files) {
            auto kept = m_job->file_meters.extract(f.path);
            auto& meter = kept ? meters.insert(std::move(kept)).position->second : meters[f.path];
            meter.record(f.loaded, now);
            f.bytes_per_second = meter.bytes_per_second();
            f.eta_seconds = eta_for(meter, f.loaded, f.total);
        }
        m_job->file_meters = std::move(meters); // files that left the set leave their meters
        m_job->active_files = std::move(files);
    }

private:
    JobManager& m_manager;
    std::shared_ptr<State> m_job;
    std::stop_token m_stop;
};

JobManager::JobManager(Options options, Runner runner, EventSink on_event)
    : m_options(std::move(options)), m_runner(std::move(runner)), m_on_event(std::move(on_event)) {
    if (!m_options.journal_dir.empty()) {
        std::error_code ec;
        fs::create_directories(m_options.journal_dir, ec);
    }
}

JobManager::~JobManager() { shutdown(); }

std::string JobManager::new_job_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[32];
    std::snprintf(buf, sizeof buf, "j_%08llx%04llx", static_cast<unsigned long long>(rng() & 0xFFFFFFFFull),
                  static_cast<unsigned long long>(++m_counter & 0xFFFF));
    return buf;
}

void JobManager::emit(const JobEvent& event) {
    try {
        if (m_on_event) m_on_event(event);
    } catch (const std::exception& e) {
        spdlog::error("job event sink threw: {}", e.what());
    }
}

JobEvent JobManager::base_event_locked(const State& j, EventKind kind) const {
    JobEvent e;
    static_cast<JobProgress&>(e) = j;
    e.eta_seconds = is_terminal(kind) ? std::nullopt : eta_for(j.meter, j.loaded, j.total);
    e.job_id = j.id;
    e.request_id = j.request_id;
    e.status = kind;
    e.spec = j.spec;
    e.error = j.error;
    e.cached = j.cached;
    e.result = j.result;
    return e;
}

void JobManager::persist_locked(const State& j) {
    if (m_options.journal_dir.empty()) return;
    nlohmann::json doc = {{"jobId", j.id},
                          {"spec", j.spec.to_json()},
                          {"status", j.status == JobStatus::paused ? "paused" : "queued"}};
    // No fsync: this runs under m_mutex (a sync would stall every progress report), the journal
    // must survive the browser's SIGKILL, which the page cache does, and a job lost to a power cut
    // costs a new request (its partial files keep their bytes).
    const fs::path file = m_options.journal_dir / (j.id + ".json");
    if (auto written = util::write_file_atomically(file, doc.dump()); !written)
        spdlog::warn("cannot write job journal {}: {}", file.string(), written.error().message);
}

void JobManager::forget_journal(const State& j) {
    if (m_options.journal_dir.empty()) return;
    std::error_code ec;
    fs::remove(m_options.journal_dir / (j.id + ".json"), ec);
}

JobManager::Submitted JobManager::submit(const JobSpec& spec, nlohmann::json request_id) {
    std::lock_guard lock(m_mutex);
    std::string key = spec.key();
    for (const auto& [id, job] : m_jobs)
        if (!is_terminal(job->status) && job->spec.key() == key) return {id, true};
    prune_finished_locked();
    auto job = std::make_shared<State>();
    job->id = new_job_id();
    job->request_id = std::move(request_id);
    job->spec = spec;
    m_jobs[job->id] = job;
    persist_locked(*job);
    return {job->id, false};
}

void JobManager::prune_finished_locked() {
    // Keep the last k_kept_finished finished jobs for list_downloads, so the list (and its reply
    // frame) stays bounded over a long session.
    constexpr std::size_t k_kept_finished = 64;
    std::vector<std::shared_ptr<State>> finished;
    for (const auto& [id, job] : m_jobs)
        if (is_terminal(job->status)) finished.push_back(job);
    if (finished.size() <= k_kept_finished) return;
    std::sort(finished.begin(), finished.end(), [](const auto& a, const auto& b) { return a->finished_at < b->finished_at; });
    for (std::size_t i = 0; i + k_kept_finished < finished.size(); ++i) {
        // A finished job's thread has left its locked section; joining it is quick.
        if (finished[i]->thread.joinable()) finished[i]->thread.join();
        m_jobs.erase(finished[i]->id);
    }
}

void JobManager::start(const std::string& job_id) {
    std::optional<JobEvent> queued;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_jobs.find(job_id);
        if (it == m_jobs.end() || !it->second->held) return;
        auto& job = it->second;
        job->held = false;
        if (job->status != JobStatus::queued) return; // cancelled before it was released
        m_queue.push_back(job_id);
        schedule_locked();
        if (job->status == JobStatus::queued) {
            job->message = "waiting for a free download slot";
            queued = base_event_locked(*job, EventKind::queued);
        }
    }
    if (queued) emit(*queued);
}

void JobManager::schedule_locked() {
    while (!m_shutting_down && m_running < m_options.max_parallel && !m_queue.empty()) {
        std::string id = m_queue.front();
        m_queue.erase(m_queue.begin());
        auto it = m_jobs.find(id);
        if (it == m_jobs.end() || it->second->status != JobStatus::queued || it->second->held) continue;
        launch_locked(it->second);
    }
}

void JobManager::launch_locked(const std::shared_ptr<State>& job) {
    // The previous run of this job (before a pause) has left its locked section; joining is quick.
    if (job->thread.joinable()) job->thread.join();
    job->status = JobStatus::running;
    job->stop_reason = StopReason::none;
    job->message.clear();
    job->retry_in_seconds.reset();
    ++m_running;
    job->thread = std::jthread([this, job](std::stop_token st) { run_job(job, st); });
}

void JobManager::run_job(std::shared_ptr<State> job, std::stop_token stop) {
    JobEvent first;
    {
        std::lock_guard lock(m_mutex);
        first = base_event_locked(*job, job->initiated ? EventKind::progress : EventKind::initiate);
        if (job->initiated) first.message = "resumed";
        job->initiated = true;
        job->last_emit = m_options.clock();
    }
    emit(first);
    Control control(*this, job, stop);
    Status result;
    try {
        result = m_runner(job->spec, control);
    } catch (const std::exception& e) {
        result = fail(ErrorCode::internal, e.what());
    }
    finish(job, std::move(result));
}

void JobManager::finish(const std::shared_ptr<State>& job, Status result) {
    std::optional<JobEvent> event;
    {
        std::lock_guard lock(m_mutex);
        --m_running;
        job->finished_at = m_options.clock();
        job->retry_in_seconds.reset();
        job->active_files.clear();
        job->file_meters.clear();
        switch (job->stop_reason) {
        case StopReason::shutdown:
            job->status = JobStatus::queued; // journal says queued: resumed at next start
            break;
        case StopReason::pause:
            job->status = JobStatus::paused;
            persist_locked(*job);
            job->message = "paused";
            event = base_event_locked(*job, EventKind::paused);
            break;
        case StopReason::cancel:
            job->status = JobStatus::cancelled;
            job->error = Error{ErrorCode::cancelled, "cancelled"};
            forget_journal(*job);
            event = base_event_locked(*job, EventKind::cancelled);
            break;
        case StopReason::none:
            if (result) {
                job->status = JobStatus::done;
                job->loaded = job->total;
                job->files_done = job->files_total;
                job->file.clear();
                job->file_loaded = job->file_total = 0;
                job->message.clear();
                event = base_event_locked(*job, EventKind::done);
            } else {
                job->status = JobStatus::error;
                job->error = result.error();
                job->message = result.error().message;
                event = base_event_locked(*job, EventKind::error);
            }
            forget_journal(*job);
            break;
        }
        schedule_locked();
        m_idle.notify_all();
    }
    if (event) emit(*event);
}

Status JobManager::cancel(const std::string& job_id) {
    std::optional<JobEvent> event;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_jobs.find(job_id);
        if (it == m_jobs.end()) return fail(ErrorCode::not_found, "no such job", {{"jobId", job_id}});
        auto& job = *it->second;
        if (is_terminal(job.status)) return {};
        if (job.status == JobStatus::running) {
            job.stop_reason = StopReason::cancel;
            job.thread.request_stop();
            return {};
        }
        job.status = JobStatus::cancelled;
        job.error = Error{ErrorCode::cancelled, "cancelled"};
        std::erase(m_queue, job_id);
        forget_journal(job);
        if (!job.held) event = base_event_locked(job, EventKind::cancelled);
    }
    if (event) emit(*event);
    return {};
}

Status JobManager::pause(const std::string& job_id) {
    std::optional<JobEvent> event;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_jobs.find(job_id);
        if (it == m_jobs.end()) return fail(ErrorCode::not_found, "no such job", {{"jobId", job_id}});
        auto& job = *it->second;
        if (is_terminal(job.status))
            return fail(ErrorCode::bad_request, "job already finished", {{"jobId", job_id}, {"status", to_string(job.status)}});
        if (job.status == JobStatus::running) {
            job.stop_reason = StopReason::pause;
            job.thread.request_stop();
            return {};
        }
        if (job.status == JobStatus::queued) {
            job.status = JobStatus::paused;
            std::erase(m_queue, job_id);
            persist_locked(job);
            job.message = "paused";
            event = base_event_locked(job, EventKind::paused);
        }
    }
    if (event) emit(*event);
    return {};
}

Status JobManager::resume(const std::string& job_id) {
    std::optional<JobEvent> event;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_jobs.find(job_id);
        if (it == m_jobs.end()) return fail(ErrorCode::not_found, "no such job", {{"jobId", job_id}});
        auto& job = *it->second;
        if (job.status != JobStatus::paused) return {}; // running or queued: nothing to do
        job.status = JobStatus::queued;
        job.held = false;
        job.submitted_at = std::chrono::steady_clock::now(); // asked for again: list again
        persist_locked(job);
        m_queue.push_back(job_id);
        schedule_locked();
        if (job.status == JobStatus::queued) {
            job.message = "waiting for a free download slot";
            event = base_event_locked(job, EventKind::queued);
        }
    }
    if (event) emit(*event);
    return {};
}

std::vector<JobInfo> JobManager::list() const {
    std::lock_guard lock(m_mutex);
    std::vector<JobInfo> out;
    for (const auto& [id, j] : m_jobs) {
        JobInfo info;
        static_cast<JobProgress&>(info) = *j;
        if (j->status != JobStatus::running) info.bytes_per_second = 0;
        info.job_id = id;
        info.request_id = j->request_id;
        info.spec = j->spec;
        info.status = j->status;
        info.error = j->error;
        info.resumed_from_journal = j->resumed_from_journal;
        out.push_back(std::move(info));
    }
    return out;
}

std::optional<JobInfo> JobManager::get(const std::string& job_id) const {
    for (auto& info : list())
        if (info.job_id == job_id) return info;
    return std::nullopt;
}

int JobManager::restore(bool auto_resume) {
    if (m_options.journal_dir.empty()) return 0;
    int restored = 0;
    std::error_code ec;
    std::lock_guard lock(m_mutex);
    for (const auto& entry : fs::directory_iterator(m_options.journal_dir, ec)) {
        if (entry.path().extension() != ".json") continue;
        const auto text = util::read_file_shared(entry.path());
        auto doc = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
        auto spec = doc.is_object() ? JobSpec::from_json(doc.value("spec", nlohmann::json())) : std::nullopt;
        std::string id = doc.is_object() ? doc.value("jobId", "") : "";
        if (!spec || id.empty() || m_jobs.count(id)) {
            spdlog::warn("ignoring unreadable job journal {}", entry.path().string());
            continue;
        }
        auto job = std::make_shared<State>();
        job->id = id;
        job->request_id = nullptr;
        job->spec = *spec;
        job->held = false;
        job->resumed_from_journal = true;
        bool paused = doc.value("status", "") == "paused" || !auto_resume;
        job->status = paused ? JobStatus::paused : JobStatus::queued;
        m_jobs[id] = job;
        if (!paused) m_queue.push_back(id);
        ++restored;
    }
    schedule_locked();
    return restored;
}

void JobManager::shutdown() {
    std::vector<std::shared_ptr<State>> running;
    {
        std::lock_guard lock(m_mutex);
        m_shutting_down = true;
        for (auto& [id, job] : m_jobs)
            if (job->thread.joinable()) {
                if (job->status == JobStatus::running) {
                    job->stop_reason = StopReason::shutdown;
                    job->thread.request_stop();
                }
                running.push_back(job);
            }
    }
    for (auto& job : running)
        if (job->thread.joinable()) job->thread.join();
}

} // namespace tabagent::jobs
