#pragma once
// One download job's files, each run through a small state machine (next_state) by one driver
// thread: take the blob lock (on a small pool: a lock file's creation is disk work), transfer
// through the engine, publish on a fixed pool of threads.
// Publishing is batched (group commit): a publisher thread takes every file that reached
// publishing by then and places them with one Store::publish_batch, so a job of many small files
// pays the folder fsyncs once per batch, not per file.
// The inputs are plain (files, commit, URLs, a publish function), so tests drive it with a fake
// engine and no network.
#include "core/cache/lock.hpp"
#include "core/cache/store.hpp"
#include "core/download/transfer.hpp"
#include "core/error.hpp"
#include "core/jobs/job_manager.hpp"
#include "core/model/repo_file.hpp"
#include "core/util/worker_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tabagent::service {

// Where one file of a job stands. Only the driver thread changes it, through next_state.
enum class FileState {
    pending,      // waiting for a free slot
    locking,      // taking the blob lock; may wait for another process fetching the same blob
    transferring, // the engine fetches and verifies the bytes
    cancelling,   // the engine was asked to cancel; its answer is awaited
    publishing,   // a publisher thread fsyncs, renames and links the verified blob
    done,
    failed,
    cancelled,
};

enum class FileEvent {
    start,              // a slot is free
    present,            // the blob is in the cache (before the start, or left by another process)
    lock_taken,         // the lock is held, or its wait timed out (integrity never needs it)
    transfer_done,      // the engine verified the bytes
    transfer_cancelled, // the engine answered CANCELLED
    publish_done,
    failed,             // the lock, the engine or the publish failed
    stop,               // the job stops: cancel, pause, shutdown, or another file's error
};

// The whole machine: the state after `event`, or `from` when the event does not move it (stop
// while publishing: a publish is short and never abandoned half-way; anything once terminal).
FileState next_state(FileState from, FileEvent event);
bool is_terminal(FileState state);
std::string_view to_string(FileState state);

// What a job fetches; everything the Hub told, so nothing here needs the network.
struct DownloadPlan {
    std::string repo;
    std::string commit;
    std::vector<model::RepoFile> files;
    std::vector<std::string> headers;                            // auth, for the engine
    std::function<std::string(const model::RepoFile&)> url_for; // the file's resolve URL
};

struct DownloadOptions {
    // Files between locking and the end of their transfer. A file being published no longer
    // counts: publishing is disk work, so the next transfers start while a batch fsyncs (and the
    // files they finish meanwhile make the next batch bigger).
    std::size_t max_in_flight = 4;
    std::size_t max_publishing = 256; // files waiting for or inside a publish batch (each holds its blob lock)
    int publish_threads = 4;       // batches published at once (each takes what is waiting)
    int lock_threads = 4;          // blob locks taken at once (one may wait for another process)
    cache::LockOptions lock;       // default: wait up to 10 min, then proceed without the lock
    DownloadOptions() { lock.proceed_on_timeout = true; }
};

// Places verified partials in the cache, one status per file in order; Store::publish_batch unless
// a test wants to hold it.
using Publisher = std::function<std::vector<Status>(const std::vector<model::RepoFile>&)>;

class DownloadJob {
public:
    DownloadJob(const cache::Store& store, jobs::JobControl& control, DownloadPlan plan,
                DownloadOptions options = {}, Publisher publish = {});
    ~DownloadJob();
    DownloadJob(const DownloadJob&) = delete;
    DownloadJob& operator=(const DownloadJob&) = delete;

    // Marks the files the cache holds as done (linking a blob another revision or variant
    // brought), reports the totals, and returns how many files remain to fetch.
    std::size_t plan();
    // Runs the remaining files to the end: at most max_in_flight at once, the first error stops
    // the others, the control's stop token stops all (pending files never start, lock waits end,
    // transfers are cancelled, publishes finish). Returns that first error, else CANCELLED when
    // stopped, else success. Call once, after plan(), with an engine that outlives the call.
    Status fetch(download::TransferEngine& engine);

    std::vector<FileState> states() const;
    // True while the calling thread holds the job's lock. JobControl and engine calls are made
    // without it: a report may wait on the event writer, and the engine thread, whose callbacks
    // take this lock, must never wait behind that (nor an engine answer a cancel inside it).
    bool lock_held_by_this_thread() const { return m_mutex.held_by_this_thread(); }

private:
    // A mutex that knows which thread holds it (see lock_held_by_this_thread).
    class OwnedMutex {
    public:
        void lock();
        void unlock();
        bool held_by_this_thread() const { return m_owner.load() == std::this_thread::get_id(); }

    private:
        std::mutex m_mutex;
        std::atomic<std::thread::id> m_owner{};
    };
    using Lock = std::unique_lock<OwnedMutex>;

    struct Slot {
        model::RepoFile file; // fixed after construction: read without the lock
        FileState state = FileState::pending;
        cache::BlobLock lock;
        download::TransferId transfer = 0;
        std::uint64_t bytes_done = 0;
        double retry_in = 0; // the engine waits this long before its next request (0: not waiting)
        bool created_partial = false; // its locker made the empty partial (removed if the start fails)
    };
    struct Completion { // an engine, locker or publisher answer, for the driver
        std::size_t index = 0;
        FileEvent event = FileEvent::failed;
        std::optional<Error> error;
        std::optional<cache::BlobLock> lock; // a locker's, for lock_taken and present
        bool created_partial = false;        // the locker made the (empty) partial file
    };
    struct Report { // one set_active_files + report call, made once the lock is released
        std::uint64_t sequence = 0;
        std::vector<jobs::FileProgress> active;
        std::uint64_t loaded = 0;
        std::string file;
        int files_done = 0;
        std::uint64_t file_loaded = 0, file_total = 0;
        std::optional<double> retry_in; // the longest wait for the Hub among the files in flight
    };

    void apply(Lock& lock, std::size_t index, FileEvent event, std::optional<Error> error = {});
    void enter(Lock& lock, std::size_t index, FileState from, std::optional<Error> error);
    void take_lock(Lock& lock, std::size_t index);
    void start_transfer(Lock& lock, std::size_t index);
    void cancel_transfer(Lock& lock, std::size_t index);
    void start_publish(std::size_t index);
    void publish_batches(); // a publisher thread: batches until none is waiting
    void start_next(Lock& lock);
    void stop_all(Lock& lock);
    void handle_completions(Lock& lock);
    template <typename Work> void unlocked(Lock& lock, Work&& work);

    void on_progress(std::size_t index, const download::Progress& progress);
    void post(std::size_t index, FileEvent event, std::optional<Error> error);
    Report report_locked(const Slot& slot, std::uint64_t file_loaded, std::uint64_t file_total);
    void deliver(std::vector<Report> reports);
    bool all_terminal_locked() const;
    std::size_t in_flight_locked() const;
    std::size_t publishing_locked() const;

    const cache::Store& m_store;
    jobs::JobControl& m_control;
    DownloadPlan m_plan;
    DownloadOptions m_options;
    Publisher m_publish;
    download::TransferEngine* m_engine = nullptr;

    mutable OwnedMutex m_mutex; // guards what follows, up to m_outbox
    std::condition_variable_any m_wake;
    std::vector<Slot> m_slots;
    std::deque<Completion> m_completions;
    std::optional<Error> m_first_error;
    bool m_stopping = false; // stop_all ran: no file starts any more
    std::uint64_t m_done_bytes = 0;
    int m_files_done = 0;
    std::uint64_t m_sequence = 0;
    std::vector<Report> m_outbox;
    std::vector<std::size_t> m_to_publish; // files in publishing that no batch took yet
    int m_publishing_batches = 0;          // publisher threads running publish_batches

    std::stop_source m_abort;        // the job's stop, or the first error
    std::mutex m_delivery_mutex;     // orders JobControl reports; never held with m_mutex
    std::uint64_t m_delivered = 0;   // sequence of the newest report sent
    util::WorkerPool m_publishers;   // last two: their threads end before the members they use
    util::WorkerPool m_lockers;      // take_lock's blob locks
};

} // namespace tabagent::service
