#include "core/service/download_job.hpp"

#include "core/platform/fs.hpp"
#include "core/util/fd.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace tabagent::service {

namespace {
using S = FileState;
using E = FileEvent;

struct Transition {
    FileState from;
    FileEvent event;
    FileState to;
};

// Every move a file can make; any other (state, event) pair leaves the state as it is.
constexpr Transition k_transitions[] = {
    {S::pending, E::start, S::locking},
    {S::pending, E::present, S::done},
    {S::pending, E::stop, S::cancelled},
    {S::locking, E::lock_taken, S::transferring},
    {S::locking, E::present, S::done}, // another process fetched it while we waited
    {S::locking, E::failed, S::failed},
    {S::locking, E::stop, S::cancelled},
    {S::transferring, E::transfer_done, S::publishing},
    {S::transferring, E::transfer_cancelled, S::failed}, // nobody asked: the engine shut down
    {S::transferring, E::failed, S::failed},
    {S::transferring, E::stop, S::cancelling},
    {S::cancelling, E::transfer_done, S::publishing}, // verified before the cancel arrived: keep it
    {S::cancelling, E::transfer_cancelled, S::cancelled},
    {S::cancelling, E::failed, S::failed},
    {S::publishing, E::publish_done, S::done},
    {S::publishing, E::failed, S::failed},
};

// Presence of exactly this version (etag) of a file in the snapshot, or a blob to link.
bool already_present(const cache::Store& store, const std::string& repo, const std::string& commit,
                     const model::RepoFile& f) {
    if (auto found = store.find_file(repo, f.path, commit))
        if (found->etag == f.etag || found->etag.empty()) return true;
    if (store.has_blob(repo, f.etag, f.size)) return static_cast<bool>(store.link_existing_blob(repo, commit, f));
    return false;
}

FileEvent transfer_event(const Status& status) {
    if (status) return E::transfer_done;
    return status.error().code == ErrorCode::cancelled ? E::transfer_cancelled : E::failed;
}

std::optional<Error> error_of(const Status& status) {
    if (status) return std::nullopt;
    return status.error();
}
} // namespace

FileState next_state(FileState from, FileEvent event) {
    for (const auto& t : k_transitions)
        if (t.from == from && t.event == event) return t.to;
    return from;
}

bool is_terminal(FileState state) {
    return state == S::done || state == S::failed || state == S::cancelled;
}

std::string_view to_string(FileState state) {
    switch (state) {
    case S::pending: return "pending";
    case S::locking: return "locking";
    case S::transferring: return "transferring";
    case S::cancelling: return "cancelling";
    case S::publishing: return "publishing";
    case S::done: return "done";
    case S::failed: return "failed";
    case S::cancelled: return "cancelled";
    }
    return "?";
}

void DownloadJob::OwnedMutex::lock() {
    m_mutex.lock();
    m_owner.store(std::this_thread::get_id());
}

void DownloadJob::OwnedMutex::unlock() {
    m_owner.store(std::thread::id{});
    m_mutex.unlock();
}

DownloadJob::DownloadJob(const cache::Store& store, jobs::JobControl& control, DownloadPlan plan,
                         DownloadOptions options, Publisher publish)
    : m_store(store), m_control(control), m_plan(std::move(plan)), m_options(std::move(options)),
      m_publish(std::move(publish)), m_publishers(std::max(1, m_options.publish_threads)),
      m_lockers(std::max(1, m_options.lock_threads)) {
    if (!m_publish)
        m_publish = [this](const std::vector<model::RepoFile>& files) {
            std::vector<cache::PublishItem> items;
            items.reserve(files.size());
            for (const auto& f : files) items.push_back({f, m_store.partial_path(m_plan.repo, f.etag)});
            auto placed = m_store.publish_batch(m_plan.repo, m_plan.commit, items);
            std::vector<Status> out;
            out.reserve(placed.size());
            for (auto& r : placed) out.push_back(r ? Status{} : Status(tl::unexpected(r.error())));
            return out;
        };
    m_slots.resize(m_plan.files.size());
    for (std::size_t i = 0; i < m_slots.size(); ++i) m_slots[i].file = m_plan.files[i];
}

DownloadJob::~DownloadJob() = default;

std::size_t DownloadJob::plan() {
    std::uint64_t total = 0;
    std::vector<bool> present(m_slots.size());
    for (std::size_t i = 0; i < m_slots.size(); ++i) { // the filesystem, without the lock
        total += m_slots[i].file.size;
        present[i] = already_present(m_store, m_plan.repo, m_plan.commit, m_slots[i].file);
    }
    Lock lock(m_mutex);
    std::size_t remaining = 0;
    for (std::size_t i = 0; i < m_slots.size(); ++i) {
        if (present[i]) apply(lock, i, E::present);
        else ++remaining;
    }
    const std::uint64_t loaded = m_done_bytes;
    const int files_done = m_files_done;
    lock.unlock();
    m_control.set_totals(total, static_cast<int>(m_slots.size()));
    m_control.report(loaded, "", files_done);
    return remaining;
}

Status DownloadJob::fetch(download::TransferEngine& engine) {
    m_engine = &engine;
    std::stop_callback forward_stop(m_control.stop_token(), [this] { m_abort.request_stop(); });
    Lock lock(m_mutex);
    while (true) {
        handle_completions(lock);
        if (m_abort.stop_requested()) stop_all(lock);
        else start_next(lock);
        if (all_terminal_locked()) break;
        unlocked(lock, [] {}); // sends what the steps above reported
        auto news = [&] { return !m_completions.empty(); };
        // Once stopping, only the answers of the engine and the publishers are awaited.
        if (m_stopping) m_wake.wait(lock, news);
        else m_wake.wait(lock, m_abort.get_token(), news);
    }
    unlocked(lock, [] {});
    if (m_first_error) return tl::unexpected(*m_first_error);
    if (m_control.stop_token().stop_requested()) return fail(ErrorCode::cancelled, "stopped");
    return {};
}

std::vector<FileState> DownloadJob::states() const {
    Lock lock(m_mutex);
    std::vector<FileState> out;
    for (const auto& slot : m_slots) out.push_back(slot.state);
    return out;
}

void DownloadJob::apply(Lock& lock, std::size_t index, FileEvent event, std::optional<Error> error) {
    Slot& slot = m_slots[index];
    const FileState from = slot.state;
    slot.state = next_state(from, event);
    if (slot.state == from) return;
    spdlog::debug("{} {}: {} -> {}", m_plan.repo, slot.file.path, to_string(from), to_string(slot.state));
    enter(lock, index, from, std::move(error));
}

// What entering a state does. Reports are queued and sent once the lock is released.
void DownloadJob::enter(Lock& lock, std::size_t index, FileState from, std::optional<Error> error) {
    Slot& slot = m_slots[index];
    switch (slot.state) {
    case S::pending: break;
    case S::locking: take_lock(lock, index); break;
    case S::transferring: start_transfer(lock, index); break;
    case S::cancelling: cancel_transfer(lock, index); break;
    case S::publishing: start_publish(index); break;
    case S::done: {
        m_done_bytes += slot.file.size;
        ++m_files_done;
        slot.lock.release();
        const std::uint64_t bytes = from == S::publishing ? slot.file.size : 0;
        if (from != S::pending) m_outbox.push_back(report_locked(slot, bytes, bytes));
        break;
    }
    case S::failed:
        if (!m_first_error) m_first_error = error.value_or(Error{ErrorCode::internal, "download failed"});
        m_abort.request_stop(); // the first error stops the other files
        slot.lock.release();
        break;
    case S::cancelled: slot.lock.release(); break;
    }
}

// On a locker thread, not the driver: taking a lock creates its file (and may wait for another
// process), and the check for a blob another process brought may link it. On a file system where
// creating a file costs a millisecond, the driver doing this for every small file was the
// bottleneck of a many-file job (issue 15). The answer comes back as a completion.
void DownloadJob::take_lock(Lock&, std::size_t index) {
    m_lockers.submit([this, index] {
        const model::RepoFile& file = m_slots[index].file; // fixed after construction
        auto blob_lock = cache::BlobLock::acquire(m_store.lock_path(m_plan.repo, file.etag), m_options.lock,
                                                  m_abort.get_token(), [&] {
                                                      m_control.waiting("waiting for another process downloading " +
                                                                        file.path);
                                                  });
        const bool present = blob_lock && m_store.has_blob(m_plan.repo, file.etag, file.size) &&
                             m_store.link_existing_blob(m_plan.repo, m_plan.commit, file).has_value();
        Completion done{index, E::lock_taken, std::nullopt, std::nullopt, false};
        if (blob_lock && !present) {
            // The partial's file made here too, under the lock, so the driver's engine start
            // opens an existing file instead of creating one (the same reason as above).
            auto made = util::UniqueFd::create_new(m_store.partial_path(m_plan.repo, file.etag));
            done.created_partial = made && made->has_value();
        }
        if (!blob_lock) {
            done.event = blob_lock.error().code == ErrorCode::cancelled ? E::stop : E::failed;
            done.error = blob_lock.error();
        } else {
            done.event = present ? E::present : E::lock_taken;
            done.lock = std::move(*blob_lock);
        }
        Lock lock(m_mutex);
        if (done.event == E::failed) m_abort.request_stop();
        m_completions.push_back(std::move(done));
        m_wake.notify_all(); // under the lock: once it is released, the job may be gone
    });
}

void DownloadJob::start_transfer(Lock& lock, std::size_t index) {
    const model::RepoFile& file = m_slots[index].file;
    download::FileRequest request{m_plan.url_for(file), m_plan.headers,
                                  m_store.partial_path(m_plan.repo, file.etag), file.size, file.etag};
    Result<download::TransferId> id = 0;
    unlocked(lock, [&] {
        id = m_engine->start(
            std::move(request), [this, index](const download::Progress& p) { on_progress(index, p); },
            [this, index](Status st) { post(index, transfer_event(st), error_of(st)); });
    });
    if (!id) {
        // Nothing started: the empty partial the locker made goes (as the engine's own start
        // leaves none behind when it refuses, e.g. for lack of space).
        if (m_slots[index].created_partial) {
            const auto partial = m_store.partial_path(m_plan.repo, file.etag);
            unlocked(lock, [&] {
                if (auto st = platform::lstat(partial); st && st->size == 0) (void)platform::remove_file(partial);
            });
        }
        return apply(lock, index, E::failed, id.error());
    }
    m_slots[index].transfer = *id; // its answer, if already posted, is handled after this
}

void DownloadJob::cancel_transfer(Lock& lock, std::size_t index) {
    const download::TransferId id = m_slots[index].transfer;
    unlocked(lock, [&] { m_engine->cancel(id); });
}

// Under the lock (entering publishing). The file waits for a batch; a publisher thread starts
// when fewer than publish_threads run, else a running one takes it with its next batch.
void DownloadJob::start_publish(std::size_t index) {
    m_to_publish.push_back(index);
    if (m_publishing_batches >= std::max(1, m_options.publish_threads)) return;
    ++m_publishing_batches;
    m_publishers.submit([this] { publish_batches(); });
}

void DownloadJob::publish_batches() {
    while (true) {
        std::vector<std::size_t> batch;
        {
            Lock lock(m_mutex);
            if (m_to_publish.empty()) {
                --m_publishing_batches;
                return;
            }
            batch.swap(m_to_publish);
        }
        std::vector<model::RepoFile> files;
        files.reserve(batch.size());
        for (auto i : batch) files.push_back(m_slots[i].file); // fixed after construction
        std::vector<Status> placed = m_publish(files);
        Lock lock(m_mutex);
        for (std::size_t k = 0; k < batch.size(); ++k) {
            Status st = k < placed.size() ? std::move(placed[k])
                                          : Status(fail(ErrorCode::internal, "publisher gave no answer"));
            m_completions.push_back({batch[k], st ? E::publish_done : E::failed, error_of(st), std::nullopt, false});
            if (!st) m_abort.request_stop();
        }
        m_wake.notify_all();
    }
}

void DownloadJob::start_next(Lock& lock) {
    for (std::size_t i = 0; i < m_slots.size() && !m_abort.stop_requested(); ++i) {
        if (in_flight_locked() >= m_options.max_in_flight) return;
        if (publishing_locked() >= m_options.max_publishing) return;
        if (m_slots[i].state == S::pending) apply(lock, i, E::start);
    }
}

void DownloadJob::stop_all(Lock& lock) {
    m_stopping = true;
    for (std::size_t i = 0; i < m_slots.size(); ++i) apply(lock, i, E::stop);
}

void DownloadJob::handle_completions(Lock& lock) {
    while (!m_completions.empty()) {
        Completion done = std::move(m_completions.front());
        m_completions.pop_front();
        // A lock taken for a file still locking is the slot's now; otherwise (the job stopped
        // meanwhile) it is released here, after the empty partial its locker made is gone.
        if (done.lock && m_slots[done.index].state == S::locking) {
            m_slots[done.index].lock = std::move(*done.lock);
            m_slots[done.index].created_partial = done.created_partial;
        } else if (done.lock && done.created_partial) {
            const auto partial = m_store.partial_path(m_plan.repo, m_slots[done.index].file.etag);
            unlocked(lock, [&] {
                if (auto st = platform::lstat(partial); st && st->size == 0) (void)platform::remove_file(partial);
                done.lock.reset();
            });
        }
        apply(lock, done.index, done.event, std::move(done.error));
    }
}

template <typename Work> void DownloadJob::unlocked(Lock& lock, Work&& work) {
    auto reports = std::exchange(m_outbox, {});
    lock.unlock();
    deliver(std::move(reports));
    work();
    lock.lock();
}

void DownloadJob::on_progress(std::size_t index, const download::Progress& progress) {
    std::vector<Report> reports;
    {
        Lock lock(m_mutex);
        Slot& slot = m_slots[index];
        if (slot.state != S::transferring && slot.state != S::cancelling) return;
        slot.bytes_done = progress.bytes_done;
        slot.retry_in = progress.waiting ? progress.retry_in_seconds : 0;
        reports.push_back(report_locked(slot, progress.bytes_done, progress.bytes_total));
    }
    deliver(std::move(reports));
}

void DownloadJob::post(std::size_t index, FileEvent event, std::optional<Error> error) {
    Lock lock(m_mutex);
    m_completions.push_back({index, event, std::move(error), std::nullopt, false});
    // A failure stops the rest at once, even while the driver waits for another file's lock.
    if (event == E::failed) m_abort.request_stop();
    m_wake.notify_all(); // under the lock: once it is released, the job may be gone
}

DownloadJob::Report DownloadJob::report_locked(const Slot& slot, std::uint64_t file_loaded,
                                               std::uint64_t file_total) {
    Report r;
    r.sequence = ++m_sequence;
    r.loaded = m_done_bytes;
    for (const auto& s : m_slots) {
        if (s.state == S::transferring || s.state == S::cancelling) {
            r.loaded += s.bytes_done;
            r.active.push_back({s.file.path, s.bytes_done, s.file.size});
            if (s.retry_in > 0) r.retry_in = std::max(r.retry_in.value_or(0.0), s.retry_in);
        } else if (s.state == S::publishing) {
            r.loaded += s.file.size;
        }
    }
    std::sort(r.active.begin(), r.active.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    r.file = slot.file.path;
    r.files_done = m_files_done;
    r.file_loaded = file_loaded;
    r.file_total = file_total;
    return r;
}

void DownloadJob::deliver(std::vector<Report> reports) {
    std::lock_guard guard(m_delivery_mutex);
    for (auto& r : reports) {
        if (r.sequence < m_delivered) continue; // a newer snapshot went out from another thread
        m_delivered = r.sequence;
        m_control.set_active_files(std::move(r.active));
        m_control.hub_wait(r.retry_in);
        m_control.report(r.loaded, r.file, r.files_done, r.file_loaded, r.file_total);
    }
}

bool DownloadJob::all_terminal_locked() const {
    return std::all_of(m_slots.begin(), m_slots.end(), [](const Slot& s) { return is_terminal(s.state); });
}

std::size_t DownloadJob::in_flight_locked() const {
    return static_cast<std::size_t>(std::count_if(m_slots.begin(), m_slots.end(), [](const Slot& s) {
        return s.state != S::pending && s.state != S::publishing && !is_terminal(s.state);
    }));
}

std::size_t DownloadJob::publishing_locked() const {
    return static_cast<std::size_t>(
        std::count_if(m_slots.begin(), m_slots.end(), [](const Slot& s) { return s.state == S::publishing; }));
}

} // namespace tabagent::service
