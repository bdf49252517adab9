#pragma once
// Job events as the Python side reads them. The job manager calls push() on a job's thread; it
// never touches Python. Readers (ModelCache's blocking downloads, its asyncio iterators) call
// wait() with the GIL released and get every event after their cursor in one batch, so the GIL
// is taken once per batch. Consecutive progress events are merged (the newest wins, with a new
// sequence number), so a log holds only the job's status changes and one progress event.
#include "core/jobs/job.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::python {

// One event in the shape of the host's progress events (wire::progress_payload) plus jobId and
// activeFiles (the files in flight: path, loaded, total, bytesPerSecond).
nlohmann::json event_json(const jobs::JobEvent& event);

class JobEvents {
public:
    using Clock = std::chrono::steady_clock;
    struct Batch {
        std::vector<nlohmann::json> events;
        std::uint64_t cursor = 0; // pass back as `after` to get the events after these
        bool terminal = false;    // the job's last event is in this batch (or was before it)
    };

    void push(const jobs::JobEvent& event);
    // Waits until an event after `after` is there (at most until `deadline`); then, unless the
    // job ended, until `not_before` (a reader's rate limit) so that a batch gathers events.
    Batch wait(const std::string& job_id, std::uint64_t after, Clock::time_point deadline, Clock::time_point not_before);
    // The job's terminal event, once pushed (and while its log is kept).
    std::optional<jobs::JobEvent> terminal_event(const std::string& job_id) const;
    // Wakes every waiter; later waits return at once.
    void close();

private:
    struct Log {
        std::vector<std::pair<std::uint64_t, nlohmann::json>> events;
        bool last_is_progress = false;
        bool terminal = false;
        std::optional<jobs::JobEvent> last; // the terminal event, for the job's result document
    };
    bool ready_locked(const std::string& job_id, std::uint64_t after) const;
    void forget_old_locked();

    static constexpr std::size_t k_finished_kept = 256; // ended jobs whose logs stay readable

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<std::string, Log> m_logs;
    std::deque<std::string> m_finished; // ended jobs, oldest first
    std::uint64_t m_sequence = 0;
    bool m_closed = false;
};

} // namespace tabagent::python
