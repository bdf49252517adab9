// The download runner's state machine (service/download_job.hpp) against a fake engine whose
// transfers progress, finish or fail only when the test says so, a real cache in a temp dir, real
// blob locks, and a publish step the test can hold. Every wait ends on an event; k_job_guard only
// keeps a broken build from hanging.
#include "cache_test_util.hpp"

#include "core/jobs/job_manager.hpp"
#include "core/service/download_job.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>

using namespace cache_test;
using namespace tabagent;
using namespace tabagent::service;
using namespace std::chrono_literals;

namespace {
constexpr auto k_job_guard = 30s;
constexpr const char* k_job_repo = "o/n";

// A record that other threads change and the test waits on.
class Observed {
public:
    template <typename Pred> bool wait_until(Pred pred) {
        std::unique_lock lock(m_mutex);
        return m_cv.wait_for(lock, k_job_guard, pred);
    }

protected:
    std::mutex m_mutex;
    std::condition_variable m_cv;
};

// Counts calls into the engine or the job control made while the runner's lock is held.
struct LockWatch {
    std::atomic<const DownloadJob*> job{nullptr};
    std::atomic<int> violations{0};
    void check() {
        if (auto* j = job.load(); j && j->lock_held_by_this_thread()) ++violations;
    }
};

class FakeEngine final : public download::TransferEngine, public Observed {
public:
    struct Transfer {
        download::FileRequest request;
        download::ProgressCallback on_progress;
        download::DoneCallback on_done;
        bool cancel_asked = false;
        bool answered = false;
    };
    LockWatch watch;
    bool answer_cancels = true; // like the real engine, answer a cancel with CANCELLED
    std::string refuse;         // a path whose start fails with NETWORK

    Result<download::TransferId> start(download::FileRequest request, download::ProgressCallback on_progress,
                                       download::DoneCallback on_done) override {
        watch.check();
        std::lock_guard lock(m_mutex);
        if (!refuse.empty() && request.url.ends_with("/" + refuse)) return fail(ErrorCode::network, "refused");
        m_transfers.push_back({std::move(request), std::move(on_progress), std::move(on_done)});
        int open = 0;
        for (const auto& t : m_transfers) open += !t.answered;
        m_peak_open = std::max(m_peak_open, open);
        m_cv.notify_all();
        return m_transfers.size();
    }
    void cancel(download::TransferId id) override {
        watch.check();
        download::DoneCallback answer;
        {
            std::lock_guard lock(m_mutex);
            auto& t = m_transfers.at(id - 1);
            t.cancel_asked = true;
            if (answer_cancels && !t.answered) {
                t.answered = true;
                answer = t.on_done;
            }
            m_cv.notify_all();
        }
        if (answer) answer(fail(ErrorCode::cancelled, "cancelled"));
    }
    void pause(download::TransferId) override {}
    void resume(download::TransferId) override {}

    // The test, as the engine thread.
    void wait_started(std::size_t n) {
        REQUIRE(wait_until([&] { return m_transfers.size() >= n; }));
    }
    void wait_cancel_asked(const std::string& path) {
        REQUIRE(wait_until([&] {
            auto* t = newest(path);
            return t && t->cancel_asked;
        }));
    }
    void progress(const std::string& path, std::uint64_t bytes) {
        download::Progress p;
        p.bytes_done = bytes;
        download::ProgressCallback callback;
        {
            std::lock_guard lock(m_mutex);
            p.bytes_total = find(path).request.size;
            callback = find(path).on_progress;
        }
        callback(p);
    }
    // Writes `content` as the verified partial and reports success.
    void complete(const std::string& path, const std::string& content) {
        auto t = take_answer(path);
        write_file(t.request.partial, content);
        t.on_done(Status{});
    }
    void fail_with(const std::string& path, ErrorCode code) { take_answer(path).on_done(fail(code, "fake failure")); }

    std::size_t started() {
        std::lock_guard lock(m_mutex);
        return m_transfers.size();
    }
    download::FileRequest request_of(const std::string& path) {
        std::lock_guard lock(m_mutex);
        return find(path).request;
    }
    int peak_open() {
        std::lock_guard lock(m_mutex);
        return m_peak_open;
    }
    // Answers every open transfer (a test that failed half-way still ends its jobs).
    void answer_all() {
        std::vector<download::DoneCallback> open;
        {
            std::lock_guard lock(m_mutex);
            for (auto& t : m_transfers)
                if (!t.answered) {
                    t.answered = true;
                    open.push_back(t.on_done);
                }
        }
        for (auto& done : open) done(fail(ErrorCode::cancelled, "test teardown"));
    }

private:
    Transfer* newest(const std::string& path) { // the newest transfer of `path`, if any
        auto it = std::find_if(m_transfers.rbegin(), m_transfers.rend(),
                               [&](const Transfer& t) { return t.request.url.ends_with("/" + path); });
        return it == m_transfers.rend() ? nullptr : &*it;
    }
    Transfer& find(const std::string& path) {
        auto* t = newest(path);
        REQUIRE(t != nullptr);
        return *t;
    }
    Transfer take_answer(const std::string& path) {
        std::lock_guard lock(m_mutex);
        auto& t = find(path);
        REQUIRE_FALSE(t.answered);
        t.answered = true;
        return t;
    }
    std::vector<Transfer> m_transfers; // id = index + 1
    int m_peak_open = 0;
};

// Records what the runner tells the job manager; forwards to a real one when given.
class FakeControl final : public jobs::JobControl, public Observed {
public:
    struct Call {
        std::uint64_t loaded = 0;
        std::string file;
        int files_done = 0;
        std::uint64_t file_loaded = 0, file_total = 0;
    };
    explicit FakeControl(jobs::JobControl* inner = nullptr) : m_inner(inner) {}
    LockWatch watch;
    std::stop_source stop;

    std::stop_token stop_token() const override { return m_inner ? m_inner->stop_token() : stop.get_token(); }
    void set_totals(std::uint64_t total_bytes, int files_total) override {
        record([&] {
            m_total = total_bytes;
            m_files_total = files_total;
        });
        if (m_inner) m_inner->set_totals(total_bytes, files_total);
    }
    void report(std::uint64_t loaded, const std::string& file, int files_done, std::uint64_t file_loaded,
                std::uint64_t file_total) override {
        record([&] { m_reports.push_back({loaded, file, files_done, file_loaded, file_total}); });
        if (m_inner) m_inner->report(loaded, file, files_done, file_loaded, file_total);
    }
    void waiting(const std::string& message) override {
        record([&] { m_waiting.push_back(message); });
        if (m_inner) m_inner->waiting(message);
    }
    void set_cached(bool cached) override {
        if (m_inner) m_inner->set_cached(cached);
    }
    void set_result(nlohmann::json result) override {
        if (m_inner) m_inner->set_result(std::move(result));
    }
    void set_active_files(std::vector<jobs::FileProgress> files) override {
        record([&] { m_active = files; });
        if (m_inner) m_inner->set_active_files(std::move(files));
    }

    std::vector<Call> reports() { return read([&] { return m_reports; }); }
    std::vector<std::string> waiting_messages() { return read([&] { return m_waiting; }); }
    std::vector<jobs::FileProgress> active() { return read([&] { return m_active; }); }
    std::pair<std::uint64_t, int> totals() { return read([&] { return std::pair{m_total, m_files_total}; }); }
    int files_done() {
        return read([&] { return m_reports.empty() ? 0 : m_reports.back().files_done; });
    }
    bool wait_waiting() {
        return wait_until([&] { return !m_waiting.empty(); });
    }
    bool wait_files_done(int n) {
        return wait_until([&] { return !m_reports.empty() && m_reports.back().files_done >= n; });
    }

private:
    template <typename F> void record(F change) {
        watch.check();
        std::lock_guard lock(m_mutex);
        change();
        m_cv.notify_all();
    }
    template <typename F> std::invoke_result_t<F> read(F get) {
        std::lock_guard lock(m_mutex);
        return get();
    }
    jobs::JobControl* m_inner;
    std::uint64_t m_total = 0;
    int m_files_total = 0;
    std::vector<Call> m_reports;
    std::vector<std::string> m_waiting;
    std::vector<jobs::FileProgress> m_active;
};

// Store::publish behind a gate: when closed, each publish waits for a pass from the test.
class PublishGate : public Observed {
public:
    explicit PublishGate(const cache::Store& store, std::string commit) : m_store(store), m_commit(std::move(commit)) {}
    Status publish(const model::RepoFile& file) {
        {
            std::unique_lock lock(m_mutex);
            ++m_entered;
            m_peak = std::max(m_peak, ++m_inside);
            m_cv.notify_all();
            m_cv.wait_for(lock, k_job_guard, [&] { return m_open || m_passes > 0; });
            if (!m_open) --m_passes;
        }
        auto placed = m_store.publish(k_job_repo, m_commit, file, m_store.partial_path(k_job_repo, file.etag));
        std::lock_guard lock(m_mutex);
        --m_inside;
        ++m_left;
        m_cv.notify_all();
        if (!placed) return tl::unexpected(placed.error());
        return {};
    }
    void close() { set([&] { m_open = false; }); }
    void open() { set([&] { m_open = true; }); }
    void pass_one() { set([&] { ++m_passes; }); }
    void wait_entered(int n) { REQUIRE(wait_until([&] { return m_entered >= n; })); }
    void wait_left(int n) { REQUIRE(wait_until([&] { return m_left >= n; })); }
    int left() { return get(m_left); }
    int peak() { return get(m_peak); }

private:
    template <typename F> void set(F change) {
        std::lock_guard lock(m_mutex);
        change();
        m_cv.notify_all();
    }
    int get(const int& value) {
        std::lock_guard lock(m_mutex);
        return value;
    }
    const cache::Store& m_store;
    std::string m_commit;
    bool m_open = true;
    int m_passes = 0, m_entered = 0, m_inside = 0, m_peak = 0, m_left = 0;
};

// One run of a job (the manager runs a job again after a pause).
struct Run {
    FakeControl control;
    std::unique_ptr<DownloadJob> job;
    std::size_t to_fetch = 0;
    std::future<Status> result;
    int published_when_done = -1; // publishes finished when fetch returned
    std::jthread thread;

    Status wait() {
        REQUIRE(result.wait_for(k_job_guard) == std::future_status::ready);
        return result.get();
    }
    void check_cancelled() {
        auto st = wait();
        REQUIRE_FALSE(st);
        CHECK(st.error().code == ErrorCode::cancelled);
    }
};

// A temp cache, the files of one job, a fake engine and a publish gate.
class Rig {
public:
    TempDir dir;
    cache::Store store{dir.path()};
    std::vector<model::RepoFile> files;
    std::map<std::string, std::string> contents;
    FakeEngine engine;
    PublishGate gate{store, k_commit_a};
    DownloadOptions options;

    ~Rig() {
        for (auto& run : m_runs) run->control.stop.request_stop();
        engine.answer_all();
        gate.open();
        for (auto& run : m_runs) {
            if (run->thread.joinable()) run->thread.join();
            CHECK(run->control.watch.violations.load() == 0); // JobControl never called under the lock
        }
        CHECK(engine.watch.violations.load() == 0); // nor the engine
    }

    Rig& add(const std::string& path, const std::string& content) {
        files.push_back(file_of(path, content));
        contents[path] = content;
        return *this;
    }
    DownloadPlan plan() const {
        return {k_job_repo, k_commit_a, files, {"Authorization: Bearer t"}, [](const model::RepoFile& f) {
                    return std::string("https://hub.test/o/n/resolve/") + k_commit_a + "/" + f.path;
                }};
    }
    // Each file of a batch through the gate, one after the other (as one publisher thread).
    Publisher publisher() {
        return [this](const std::vector<model::RepoFile>& batch) {
            {
                std::lock_guard lock(m_batch_mutex);
                m_batches.push_back(batch.size());
            }
            std::vector<Status> out;
            for (const auto& f : batch) out.push_back(gate.publish(f));
            return out;
        };
    }
    // Plans a run and starts fetching on its own thread (the job manager's, in the product).
    Run& launch() {
        auto& run = *m_runs.emplace_back(std::make_unique<Run>());
        run.job = std::make_unique<DownloadJob>(store, run.control, plan(), options, publisher());
        run.control.watch.job = run.job.get();
        engine.watch.job = run.job.get();
        run.to_fetch = run.job->plan();
        std::promise<Status> promise;
        run.result = promise.get_future();
        run.thread = std::jthread([this, &run, promise = std::move(promise)]() mutable {
            Status st = run.to_fetch == 0 ? Status{} : run.job->fetch(engine);
            run.published_when_done = gate.left();
            promise.set_value(std::move(st));
        });
        return run;
    }
    void complete(const std::string& path) { engine.complete(path, contents.at(path)); }
    bool in_cache(const std::string& path) {
        auto found = store.find_file(k_job_repo, path, k_commit_a);
        return found && read_file(found->blob_path) == contents.at(path);
    }
    // Anything of the file visible in the cache: its blob or its snapshot entry.
    bool rig_store_has(const std::string& path) {
        return store.has_blob(k_job_repo, file(path).etag) || store.find_file(k_job_repo, path, k_commit_a);
    }
    bool lock_free(const std::string& path) {
        auto lock = cache::BlobLock::try_acquire(store.lock_path(k_job_repo, file(path).etag));
        return lock && lock->held();
    }
    const model::RepoFile& file(const std::string& path) const {
        return *std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.path == path; });
    }

    std::vector<std::size_t> batch_sizes() {
        std::lock_guard lock(m_batch_mutex);
        return m_batches;
    }
    // Waits (polling; the guard only catches a hang) until `n` files of `run` are in `state`.
    bool wait_states(Run& run, FileState state, std::size_t n) {
        const auto deadline = std::chrono::steady_clock::now() + k_job_guard;
        while (std::chrono::steady_clock::now() < deadline) {
            auto states = run.job->states();
            if (static_cast<std::size_t>(std::count(states.begin(), states.end(), state)) >= n) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return false;
    }

private:
    std::vector<std::unique_ptr<Run>> m_runs;
    std::mutex m_batch_mutex;
    std::vector<std::size_t> m_batches; // files per publisher call, in call order
};

using States = std::vector<FileState>;
} // namespace

TEST_CASE("download runner: the transition table") {
    using S = FileState;
    using E = FileEvent;
    CHECK(next_state(S::pending, E::start) == S::locking);
    CHECK(next_state(S::pending, E::present) == S::done);
    CHECK(next_state(S::pending, E::stop) == S::cancelled);
    CHECK(next_state(S::locking, E::present) == S::done); // another process fetched it
    CHECK(next_state(S::locking, E::lock_taken) == S::transferring);
    CHECK(next_state(S::locking, E::stop) == S::cancelled);
    CHECK(next_state(S::transferring, E::stop) == S::cancelling);
    CHECK(next_state(S::transferring, E::transfer_cancelled) == S::failed); // nobody asked for it
    CHECK(next_state(S::cancelling, E::transfer_cancelled) == S::cancelled);
    CHECK(next_state(S::cancelling, E::transfer_done) == S::publishing);
    CHECK(next_state(S::cancelling, E::failed) == S::failed);
    CHECK(next_state(S::publishing, E::stop) == S::publishing); // never abandoned half-way
    CHECK(next_state(S::publishing, E::publish_done) == S::done);
    for (auto terminal : {S::done, S::failed, S::cancelled})
        for (auto event : {E::start, E::present, E::lock_taken, E::transfer_done, E::transfer_cancelled,
                           E::publish_done, E::failed, E::stop})
            CHECK(next_state(terminal, event) == terminal);
}

TEST_CASE("download runner: several files are fetched, max_in_flight at a time, and published") {
    Rig rig;
    rig.add("a.bin", std::string(4000, 'a')).add("b.bin", "bee").add("c.bin", std::string(100, 'c'));
    rig.options.max_in_flight = 2;
    auto& run = rig.launch();
    CHECK(run.to_fetch == 3);
    CHECK(run.control.totals() == std::pair<std::uint64_t, int>{4103, 3});
    rig.engine.wait_started(2);

    rig.engine.progress("a.bin", 1000);
    auto last = run.control.reports().back();
    CHECK(last.loaded == 1000);
    CHECK(last.file == "a.bin");
    CHECK(last.file_loaded == 1000);
    CHECK(last.file_total == 4000);
    auto active = run.control.active();
    REQUIRE(active.size() == 2);
    CHECK(active[0].path == "a.bin");
    CHECK(active[0].loaded == 1000);
    CHECK(active[1].path == "b.bin");

    rig.complete("a.bin"); // a slot frees once a's transfer ends: c starts
    rig.engine.wait_started(3);
    rig.complete("b.bin");
    rig.complete("c.bin");
    REQUIRE(run.wait());

    CHECK(rig.engine.peak_open() == 2);
    CHECK(run.job->states() == States{FileState::done, FileState::done, FileState::done});
    for (const auto& f : rig.files) {
        CHECK(rig.in_cache(f.path));
        CHECK(rig.lock_free(f.path));
    }
    auto request = rig.engine.request_of("b.bin");
    CHECK(request.url == std::string("https://hub.test/o/n/resolve/") + k_commit_a + "/b.bin");
    CHECK(request.headers == std::vector<std::string>{"Authorization: Bearer t"});
    CHECK(request.partial == rig.store.partial_path(k_job_repo, rig.file("b.bin").etag));
    CHECK(request.size == 3);
    CHECK(request.etag == rig.file("b.bin").etag);
    last = run.control.reports().back();
    CHECK(last.loaded == 4103);
    CHECK(last.files_done == 3);
    CHECK(last.file_loaded == last.file_total);
}

TEST_CASE("download runner: files already in the cache are not fetched again") {
    Rig rig;
    rig.add("a.bin", "present").add("b.bin", "in another revision").add("c.bin", "missing");
    put(rig.store, k_job_repo, k_commit_a, "a.bin", "present");
    put(rig.store, k_job_repo, k_commit_b, "b.bin", "in another revision");

    SUBCASE("only the missing one is fetched; the blob of another revision is linked") {
        auto& run = rig.launch();
        CHECK(run.to_fetch == 1);
        auto first = run.control.reports().front();
        CHECK(first.loaded == 7 + 19);
        CHECK(first.file.empty());
        CHECK(first.files_done == 2);
        CHECK(rig.in_cache("b.bin"));
        rig.engine.wait_started(1);
        rig.complete("c.bin");
        REQUIRE(run.wait());
        CHECK(rig.engine.started() == 1);
        CHECK(rig.in_cache("c.bin"));
    }
    SUBCASE("nothing to fetch") {
        rig.files.pop_back();
        auto& run = rig.launch();
        CHECK(run.to_fetch == 0);
        CHECK(run.control.files_done() == 2);
        CHECK(run.job->states() == States{FileState::done, FileState::done});
    }
}

TEST_CASE("download runner: the first error stops the other files and wins") {
    Rig rig;
    rig.add("a.bin", "aaa").add("b.bin", "bbb").add("c.bin", "ccc");

    SUBCASE("a transfer fails; a later error of another file does not replace it") {
        rig.engine.answer_cancels = false;
        auto& run = rig.launch();
        rig.engine.wait_started(3);
        rig.engine.fail_with("b.bin", ErrorCode::network);
        rig.engine.wait_cancel_asked("a.bin");
        rig.engine.wait_cancel_asked("c.bin");
        rig.engine.fail_with("a.bin", ErrorCode::integrity);
        rig.engine.answer_all();
        auto result = run.wait();
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::network);
        CHECK(run.job->states() == States{FileState::failed, FileState::failed, FileState::cancelled});
        for (const auto& f : rig.files) CHECK(rig.lock_free(f.path));
    }
    SUBCASE("the engine refuses a start; later files never start") {
        rig.options.max_in_flight = 1;
        rig.engine.refuse = "a.bin";
        fs::create_directories(rig.store.blobs_dir(k_job_repo)); // as run_download does
        auto& run = rig.launch();
        auto result = run.wait();
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::network);
        CHECK(rig.engine.started() == 0);
        // The empty partial its locker made is gone: nothing started, nothing left behind.
        CHECK_FALSE(fs::exists(rig.store.partial_path(k_job_repo, rig.file("a.bin").etag)));
        CHECK(run.job->states() == States{FileState::failed, FileState::cancelled, FileState::cancelled});
    }
    SUBCASE("a publish fails (the partial has the wrong size)") {
        auto& run = rig.launch();
        rig.engine.wait_started(3);
        rig.engine.complete("b.bin", "too long");
        auto result = run.wait();
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::integrity);
        CHECK(run.job->states() == States{FileState::cancelled, FileState::failed, FileState::cancelled});
        CHECK_FALSE(rig.in_cache("b.bin"));
    }
}

TEST_CASE("download runner: a blob lock held by another process") {
    Rig rig;
    rig.add("a.bin", "contended");
    auto other = cache::BlobLock::try_acquire(rig.store.lock_path(k_job_repo, rig.file("a.bin").etag));
    REQUIRE(other);
    REQUIRE(other->held());

    SUBCASE("is waited for, then the file is fetched") {
        auto& run = rig.launch();
        REQUIRE(run.control.wait_waiting());
        CHECK(run.control.waiting_messages().front() == "waiting for another process downloading a.bin");
        CHECK(rig.engine.started() == 0);
        other->release();
        rig.engine.wait_started(1);
        rig.complete("a.bin");
        REQUIRE(run.wait());
        CHECK(rig.in_cache("a.bin"));
    }
    SUBCASE("whose process published the blob meanwhile: it is linked, not fetched") {
        auto& run = rig.launch();
        REQUIRE(run.control.wait_waiting());
        put(rig.store, k_job_repo, k_commit_b, "a.bin", "contended");
        other->release();
        REQUIRE(run.wait());
        CHECK(rig.engine.started() == 0);
        CHECK(rig.in_cache("a.bin"));
        auto last = run.control.reports().back();
        CHECK(last.file == "a.bin");
        CHECK(last.files_done == 1);
        CHECK(last.loaded == 9);
    }
    SUBCASE("the other files go on meanwhile (locks are taken off the driver thread)") {
        rig.add("b.bin", "free");
        auto& run = rig.launch();
        REQUIRE(run.control.wait_waiting());
        rig.engine.wait_started(1);
        CHECK(rig.engine.request_of("b.bin").size == 4);
        rig.complete("b.bin");
        REQUIRE(run.control.wait_files_done(1));
        CHECK(rig.in_cache("b.bin"));
        CHECK(run.job->states() == States{FileState::locking, FileState::done});
        other->release();
        rig.engine.wait_started(2);
        rig.complete("a.bin");
        REQUIRE(run.wait());
        CHECK(rig.in_cache("a.bin"));
    }
    SUBCASE("past its timeout: the file is fetched without it") {
        rig.options.lock.timeout = 0ms;
        auto& run = rig.launch();
        rig.engine.wait_started(1);
        CHECK(run.control.waiting_messages().size() == 1);
        rig.complete("a.bin");
        REQUIRE(run.wait());
        CHECK(rig.in_cache("a.bin"));
    }
}

// The job manager's cancel and pause are the same request to the runner: its stop token. A
// paused job is run again on resume; cancelled or paused, the stop must leave the cache so that
// the next run fetches only what is missing.
TEST_CASE("download runner: a stop in each state ends the job cleanly, and a later run resumes") {
    Rig rig;
    rig.add("a.bin", std::string(300, 'a')).add("b.bin", "bbb");
    std::size_t fetches_before_resume = 0;

    SUBCASE("pending: it never starts") {
        rig.options.max_in_flight = 1;
        auto& run = rig.launch();
        rig.engine.wait_started(1);
        run.control.stop.request_stop();
        run.check_cancelled();
        CHECK(rig.engine.started() == 1);
        CHECK(run.job->states() == States{FileState::cancelled, FileState::cancelled});
        fetches_before_resume = 1;
    }
    SUBCASE("locking: the wait for another process ends") {
        rig.options.max_in_flight = 1; // b stays pending (else it transfers while a waits)
        auto other = cache::BlobLock::try_acquire(rig.store.lock_path(k_job_repo, rig.file("a.bin").etag));
        REQUIRE(other);
        auto& run = rig.launch();
        REQUIRE(run.control.wait_waiting());
        run.control.stop.request_stop();
        run.check_cancelled();
        CHECK(rig.engine.started() == 0);
        CHECK(run.job->states() == States{FileState::cancelled, FileState::cancelled});
    }
    SUBCASE("transferring: the engine is asked to cancel, the partial stays for the resume") {
        auto& run = rig.launch();
        rig.engine.wait_started(2);
        rig.engine.progress("a.bin", 100);
        run.control.stop.request_stop();
        run.check_cancelled();
        rig.engine.wait_cancel_asked("a.bin");
        rig.engine.wait_cancel_asked("b.bin");
        CHECK(run.job->states() == States{FileState::cancelled, FileState::cancelled});
        CHECK(rig.lock_free("a.bin"));
        fetches_before_resume = 2;
    }
    SUBCASE("publishing: the publish completes before the job ends") {
        rig.gate.close();
        auto& run = rig.launch();
        rig.engine.wait_started(2);
        rig.complete("a.bin");
        rig.gate.wait_entered(1);
        run.control.stop.request_stop();
        rig.engine.wait_cancel_asked("b.bin");
        rig.gate.open();
        run.check_cancelled();
        CHECK(run.published_when_done == 1);
        CHECK(run.job->states() == States{FileState::done, FileState::cancelled});
        CHECK(rig.in_cache("a.bin"));
        fetches_before_resume = 2;
    }
    SUBCASE("done: the finished file stays, the other is cancelled") {
        auto& run = rig.launch();
        rig.engine.wait_started(2);
        rig.complete("a.bin");
        REQUIRE(run.control.wait_files_done(1));
        run.control.stop.request_stop();
        run.check_cancelled();
        CHECK(run.job->states() == States{FileState::done, FileState::cancelled});
        CHECK(rig.in_cache("a.bin"));
        fetches_before_resume = 2;
    }

    // The resume: a new run fetches exactly the files not in the cache.
    std::vector<std::string> missing;
    for (const auto& f : rig.files)
        if (!rig.in_cache(f.path)) missing.push_back(f.path);
    auto& again = rig.launch();
    CHECK(again.to_fetch == missing.size());
    for (std::size_t i = 0; i < missing.size(); ++i) { // in order: max_in_flight may be 1
        rig.engine.wait_started(fetches_before_resume + i + 1);
        rig.complete(missing[i]);
    }
    REQUIRE(again.wait());
    CHECK(rig.engine.started() == fetches_before_resume + missing.size());
    CHECK(rig.in_cache("a.bin"));
    CHECK(rig.in_cache("b.bin"));
}

TEST_CASE("download runner: pause, resume and cancel through the job manager") {
    Rig rig;
    rig.add("a.bin", "a file");
    struct Statuses : Observed {
        std::vector<std::string> seen;
        jobs::EventSink sink() {
            return [this](const jobs::JobEvent& e) {
                std::lock_guard lock(m_mutex);
                seen.push_back(std::string(jobs::to_string(e.status)));
                m_cv.notify_all();
            };
        }
        bool reached(const std::string& status) {
            return wait_until([&] { return std::find(seen.begin(), seen.end(), status) != seen.end(); });
        }
    } statuses;
    LockWatch& watch = rig.engine.watch;
    std::atomic<int> control_violations{0};
    auto runner = [&](const jobs::JobSpec&, jobs::JobControl& manager_control) -> Status {
        FakeControl control(&manager_control);
        DownloadJob job(rig.store, control, rig.plan(), rig.options, rig.publisher());
        control.watch.job = &job;
        watch.job = &job;
        Status st = job.plan() == 0 ? Status{} : job.fetch(rig.engine);
        control_violations += control.watch.violations;
        return st;
    };
    jobs::JobManager manager({}, runner, statuses.sink());
    jobs::JobSpec spec;
    spec.repo = k_job_repo;
    spec.files = {"a.bin"};
    auto job = manager.submit(spec, "msg").job_id;
    manager.start(job);
    rig.engine.wait_started(1);

    SUBCASE("pause while transferring, then resume to the end") {
        REQUIRE(manager.pause(job));
        REQUIRE(statuses.reached("paused"));
        REQUIRE(manager.resume(job));
        rig.engine.wait_started(2);
        rig.complete("a.bin");
        REQUIRE(statuses.reached("done"));
        CHECK(rig.in_cache("a.bin"));
    }
    SUBCASE("cancel while transferring") {
        REQUIRE(manager.cancel(job));
        REQUIRE(statuses.reached("cancelled"));
        CHECK_FALSE(rig.in_cache("a.bin"));
    }
    manager.shutdown();
    CHECK(control_violations.load() == 0);
}

// Publishing is a group commit: files that reach publishing while the publisher threads are busy
// wait and go together in one batch (Store::publish_batch: the folder fsyncs once per batch).
TEST_CASE("download runner: files finished while publishers are busy are published as one batch") {
    Rig rig;
    for (int i = 0; i < 5; ++i) rig.add("f" + std::to_string(i) + ".bin", std::string(10 + i, 'x'));
    rig.options.max_in_flight = 5;
    rig.gate.close();

    SUBCASE("one publisher thread") {
        rig.options.publish_threads = 1;
        auto& run = rig.launch();
        rig.engine.wait_started(5);
        rig.complete("f0.bin");
        rig.gate.wait_entered(1);
        for (int i = 1; i < 5; ++i) rig.complete("f" + std::to_string(i) + ".bin");
        REQUIRE(rig.wait_states(run, FileState::publishing, 5));
        CHECK_FALSE(rig.in_cache("f1.bin")); // waiting for its batch, not visible yet
        rig.gate.open();
        REQUIRE(run.wait());
        CHECK(rig.batch_sizes() == std::vector<std::size_t>{1, 4});
        CHECK(rig.gate.peak() == 1);
    }
    SUBCASE("two publisher threads: never more batches at once than threads") {
        rig.options.publish_threads = 2;
        auto& run = rig.launch();
        rig.engine.wait_started(5);
        rig.complete("f0.bin");
        rig.gate.wait_entered(1);
        rig.complete("f1.bin");
        rig.gate.wait_entered(2);
        for (int i = 2; i < 5; ++i) rig.complete("f" + std::to_string(i) + ".bin");
        REQUIRE(rig.wait_states(run, FileState::publishing, 5));
        rig.gate.open();
        REQUIRE(run.wait());
        CHECK(rig.batch_sizes() == std::vector<std::size_t>{1, 1, 3});
        CHECK(rig.gate.peak() == 2);
    }
    for (const auto& f : rig.files) CHECK(rig.in_cache(f.path));
}

// Publishing is disk work: a file waiting for its batch frees its transfer slot at once.
TEST_CASE("download runner: a file being published does not hold a transfer slot") {
    Rig rig;
    rig.add("a.bin", std::string(20, 'a')).add("b.bin", std::string(30, 'b')).add("c.bin", "c");
    rig.options.max_in_flight = 1;
    rig.gate.close();
    auto& run = rig.launch();
    rig.engine.wait_started(1);
    rig.complete("a.bin");
    rig.gate.wait_entered(1); // a's publish is held
    rig.engine.wait_started(2); // b started meanwhile
    CHECK(rig.engine.peak_open() == 1);

    rig.complete("b.bin");
    rig.engine.wait_started(3);
    rig.complete("c.bin");
    rig.gate.open();
    REQUIRE(run.wait());
    for (const auto& f : rig.files) CHECK(rig.in_cache(f.path));
}

TEST_CASE("download runner: max_publishing holds the next file while that many wait to be published") {
    Rig rig;
    rig.add("a.bin", std::string(20, 'a')).add("b.bin", std::string(30, 'b')).add("c.bin", "c");
    rig.options.max_in_flight = 1;
    rig.options.max_publishing = 1;
    rig.gate.close();
    auto& run = rig.launch();
    rig.engine.wait_started(1);
    rig.complete("a.bin");
    rig.gate.wait_entered(1);
    CHECK(rig.engine.started() == 1); // a waits to be published: b may not start yet
    rig.gate.pass_one();
    rig.engine.wait_started(2); // a is published: b starts
    rig.complete("b.bin");
    rig.gate.wait_entered(2);
    CHECK(rig.engine.started() == 2); // b waits to be published: c waits too
    rig.gate.open();
    rig.engine.wait_started(3);
    rig.complete("c.bin");
    REQUIRE(run.wait());
    for (const auto& f : rig.files) CHECK(rig.in_cache(f.path));
}

// A file whose transfer has not ended is never in a batch: a batch that runs while it transfers
// leaves it invisible (no blob, no link); it is published with a later batch once verified.
TEST_CASE("download runner: a batch never takes a file still transferring") {
    Rig rig;
    rig.add("a.bin", std::string(64, 'a')).add("b.bin", std::string(32, 'b'));
    rig.options.publish_threads = 1;
    auto& run = rig.launch();
    rig.engine.wait_started(2);
    rig.engine.progress("b.bin", 16);
    rig.complete("a.bin");
    REQUIRE(run.control.wait_files_done(1));
    CHECK(rig.in_cache("a.bin"));
    CHECK_FALSE(rig.rig_store_has("b.bin"));
    rig.complete("b.bin");
    REQUIRE(run.wait());
    CHECK(rig.batch_sizes() == std::vector<std::size_t>{1, 1});
    CHECK(rig.in_cache("b.bin"));
}
