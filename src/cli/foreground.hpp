#pragma once
// A JobManager like the host's (journal in <data dir>/jobs, the ModelService runner) driven from
// the terminal: one job runs in the foreground with progress; Ctrl-C shuts the manager down,
// which keeps the job's journal and the engine's partial, so `download` again or `jobs resume`
// continues where it stopped.
#include "cli/context.hpp"
#include "cli/progress.hpp"
#include "core/service/job_result.hpp"
#include "core/service/runtime.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>

namespace tabagent::cli {

class Foreground {
public:
    explicit Foreground(const Context& ctx);

    service::ModelService& models() { return m_runtime.models; }
    jobs::JobManager& jobs() { return m_runtime.jobs; }

    // Loads the journaled jobs (paused: nothing runs until asked).
    void restore();

    // Starts (or resumes, when paused) the job and waits for its terminal event while `view`
    // draws progress. nullopt when interrupted: the manager is then shut down, the journal kept.
    std::optional<jobs::JobEvent> run(const std::string& job_id, ProgressView& view);

private:
    void on_event(const jobs::JobEvent& event);

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::string m_watched;
    ProgressView* m_view = nullptr;
    std::optional<jobs::JobEvent> m_terminal;
    bool m_interrupted = false;
    service::Runtime m_runtime; // last: its job threads stop before the members they call
};

// The JSON of a job's outcome (core) and the human summary line; shared by download and jobs resume.
using service::job_result_json;
int finish_job(const Context& ctx, service::ModelService& models, const std::string& job_id,
               const std::optional<jobs::JobEvent>& terminal);

} // namespace tabagent::cli
