#include "core/download/engine.hpp"

#include "core/download/connection.hpp"
#include "core/download/hash_worker.hpp"
#include "core/download/host_budget.hpp"
#include "core/download/writeback.hpp"
#include "core/hub/errors.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <list>
#include <map>
#include <mutex>
#include <random>
#include <stop_token>
#include <thread>

namespace tabagent::download {
namespace {

std::function<Clock::time_point()> clock_or_steady(std::function<Clock::time_point()> clock) {
    if (clock) return clock;
    return [] { return Clock::now(); };
}

std::uint64_t seed_or_random(std::optional<std::uint64_t> seed) {
    return seed ? *seed : std::random_device{}();
}

} // namespace

// The loop: owns the multi handle, the transfers and their connections, and wires the parts
// (SegmentPlanner, RetryPolicy, RateBucket, PartialFile) to libcurl (connection.hpp).
struct Engine::Impl {
    struct Command {
        enum class Kind { start, cancel, pause, resume, rate } kind;
        TransferId id = 0;
        std::unique_ptr<Transfer> transfer;
        std::uint64_t rate = 0;
    };

    EngineOptions options;
    LoopContext loop;
    const hub::CurlApi& api;
    hub::CurlMulti multi;
    std::mutex mutex;
    std::vector<Command> commands;
    std::atomic<TransferId> next_id{1};
    // Engine thread only:
    std::map<TransferId, std::unique_ptr<Transfer>> transfers;
    std::list<std::unique_ptr<Connection>> connections;
    std::vector<hub::CurlEasy> idle_handles;
    int active = 0;
    std::vector<ActiveRange> views; // scratch of open_next
    std::mt19937_64 random;
    ConnectionGovernor governor;
    Writeback writeback; // declared before the loop thread: outlives it
    std::optional<HashWorker> hasher; // after multi: it wakes the loop
    std::jthread thread;

    Impl(EngineOptions o, const hub::CurlApi& curl)
        : options(std::move(o)),
          loop{curl, clock_or_steady(options.clock), RateBucket(options.rate_limit_bytes_per_second, {})},
          api(curl), multi(curl.multi_init(), hub::CurlMultiDeleter{&curl}),
          random(seed_or_random(options.random_seed)),
          governor({options.start_connections, options.max_connections, 8, options.governor_window, std::chrono::seconds(10)}) {
        loop.bucket.set_rate(options.rate_limit_bytes_per_second, loop.now());
        loop.budgets = options.budgets.get();
        loop.governor = &governor;
        // `active` bounds the requests (the governor's limit); sockets may be twice the ceiling,
        // kept idle for reuse too (libcurl's default keeps 4 per easy handle in the multi), so
        // each request slot keeps a keep-alive connection to the Hub and one to its CDN: else a
        // small file's redirect evicted the other host's (issue 15: 25-95 nginx connections for
        // 200 files, now at most 16).
        for (const CURLMoption option : {CURLMOPT_MAX_TOTAL_CONNECTIONS, CURLMOPT_MAXCONNECTS})
            api.multi_setopt(multi.get(), option, static_cast<long>(2 * options.max_connections));
        if (options.hash_thread) hasher.emplace([this] { api.multi_wakeup(multi.get()); });
        thread = std::jthread([this](std::stop_token stop) { run(stop); });
    }

    ~Impl() {
        thread.request_stop();
        api.multi_wakeup(multi.get());
        thread.join();
    }

    Clock::time_point now() const { return loop.now(); }

    void push(Command command) {
        {
            std::lock_guard lock(mutex);
            commands.push_back(std::move(command));
        }
        api.multi_wakeup(multi.get());
    }

    // ---- loop ----------------------------------------------------------------------------

    void run(std::stop_token stop) {
        while (!stop.stop_requested()) {
            take_commands();
            schedule();
            int running = 0;
            api.multi_perform(multi.get(), &running);
            reap_aborted();
            int queued = 0;
            while (CURLMsg* msg = api.multi_info_read(multi.get(), &queued))
                if (msg->msg == CURLMSG_DONE) finished(msg->easy_handle, msg->data.result);
            hash_and_complete();
            housekeeping();
            int timeout_ms = 100;
            if (const int wait = unpause_rate_limited(); wait >= 0) timeout_ms = std::min(timeout_ms, wait);
            api.multi_poll(multi.get(), nullptr, 0, timeout_ms, nullptr);
        }
        for (auto& [id, transfer] : transfers) {
            drop_connections(*transfer);
            transfer->file.flush_journal(now());
            if (transfer->on_done)
                transfer->on_done(fail(ErrorCode::cancelled, "download engine shut down"));
        }
        transfers.clear();
        for (auto& c : connections) api.multi_remove_handle(multi.get(), c->easy.get());
        connections.clear();
    }

    void take_commands() {
        std::vector<Command> batch;
        {
            std::lock_guard lock(mutex);
            batch.swap(commands);
        }
        for (auto& command : batch) apply(command);
    }

    void apply(Command& command) {
        switch (command.kind) {
        case Command::Kind::start: {
            const auto id = command.transfer->id;
            spdlog::debug("download: transfer {} starts: {} bytes, {} already there", id, command.transfer->request.size,
                          command.transfer->file.done().covered());
            transfers.emplace(id, std::move(command.transfer));
            break;
        }
        case Command::Kind::cancel:
            if (auto* t = find(command.id)) {
                drop_connections(*t);
                t->file.flush_journal(now());
                finish(*t, fail(ErrorCode::cancelled, "download cancelled"));
            }
            break;
        case Command::Kind::pause:
            if (auto* t = find(command.id); t && !t->paused) {
                t->paused = true;
                drop_connections(*t);
                t->file.flush_journal(now());
                report(*t, true);
            }
            break;
        case Command::Kind::resume:
            if (auto* t = find(command.id); t && t->paused) {
                t->paused = false;
                t->retry.open_now(now());
                report(*t, true);
            }
            break;
        case Command::Kind::rate: loop.bucket.set_rate(command.rate, now()); break;
        }
    }

    Transfer* find(TransferId id) {
        auto it = transfers.find(id);
        return it == transfers.end() ? nullptr : it->second.get();
    }

    // ---- scheduling ------------------------------------------------------------------------

    void schedule() {
        const auto at = now();
        const int limit = governor.limit();
        bool started = true;
        // Round robin: one connection per transfer per pass, so transfers share the budget.
        while (started && active < limit) {
            started = false;
            for (auto& [id, holder] : transfers) {
                if (active >= limit) break;
                Transfer& t = *holder;
                if (t.paused || t.retry.waiting(at) || at < t.budget_until) continue;
                started |= open_next(t, at);
            }
        }
        // A window counts only while the limit binds: all allowed connections open, a transfer
        // wanting another, and no rate limit slowing every connection on purpose.
        bool busy = active >= limit && !loop.bucket.enabled();
        if (busy)
            busy = std::any_of(transfers.begin(), transfers.end(),
                               [](const auto& entry) { return wants_another_connection(*entry.second); });
        governor.tick(at, loop.received, busy);
    }

    // Asks the planner what one more connection of `t` fetches and opens it.
    bool open_next(Transfer& t, Clock::time_point at) {
        // Cheap refusal first: schedule() asks every transfer on every pass.
        if (static_cast<int>(t.connections.size()) >= t.planner.connection_cap()) return false;
        views.clear(); // reused: no allocation per transfer and pass
        for (const auto* c : t.connections) views.push_back(c->view(at));
        const auto next = t.planner.next(t.file.done(), views, t.single_stream, loop.bucket.enabled());
        if (!next) return false;
        if (!budget_admits(loop, t, t.redirect_url.empty() ? t.request.url : t.redirect_url, at)) return false;
        Connection* lagging = next->kind == Assignment::Kind::gap ? nullptr : t.connections[next->lagging];
        switch (next->kind) {
        case Assignment::Kind::gap: break;
        case Assignment::Kind::halve:
            spdlog::debug("download: halving the tail of transfer {} at {}", t.id, next->begin);
            lagging->limit = next->begin;
            break;
        case Assignment::Kind::split:
            spdlog::debug("download: splitting the tail of transfer {} at {}", t.id, next->begin);
            lagging->limit = next->begin;
            break;
        case Assignment::Kind::take_over:
            spdlog::debug("download: transfer {} takes over a lagging range at {}", t.id, next->begin);
            (void)lagging->write_out(); // what it gathered up to begin is good (a failure: fetched again)
            release(lagging); // its written bytes stay done; the rest is fetched again
            break;
        }
        return open_connection(t, next->begin, next->end);
    }

    bool open_connection(Transfer& t, std::uint64_t begin, std::uint64_t end) {
        auto c = std::make_unique<Connection>(loop);
        if (!idle_handles.empty()) {
            c->easy = std::move(idle_handles.back());
            idle_handles.pop_back();
            api.easy_reset(c->easy.get());
        } else {
            c->easy.reset(api.easy_init());
        }
        if (!c->easy) return false;
        c->transfer = &t;
        c->start = c->pos = begin;
        c->req_end = c->limit = end;
        c->epoch = t.retry.epoch();
        c->started = c->last_activity = now();
        const std::string& url = t.redirect_url.empty() ? t.request.url : t.redirect_url;
        c->via_redirect_target = !t.redirect_url.empty();
        if (loop.budgets) c->budget_origin = hub::url_origin(url);
        configure(*c, url, options);
        if (api.multi_add_handle(multi.get(), c->easy.get()) != CURLM_OK) return false;
        t.connections.push_back(c.get());
        t.planner.record_connections(static_cast<int>(t.connections.size()));
        connections.push_back(std::move(c));
        ++active;
        return true;
    }

    // Rate limit: the bucket is checked in the write callback, which returns CURL_WRITEFUNC_PAUSE
    // when it is empty; this loop refills it and resumes the paused connections
    // (curl_easy_pause). Chosen over CURLOPT_MAX_RECV_SPEED_LARGE because libcurl 7.88 reads a
    // readable plain socket up to 100 buffers in one go without consulting that limit (a 6 MiB
    // loopback transfer at "1 MB/s" took 35 ms), and because one bucket shares the budget across
    // connections whatever their count. Returns the ms until the next refill matters, or -1.
    int unpause_rate_limited() {
        if (!loop.bucket.enabled()) {
            for (auto& c : connections)
                if (c->rate_paused) resume_connection(*c);
            return -1;
        }
        loop.bucket.refill(now());
        bool any_paused = false;
        for (auto& c : connections) {
            if (!c->rate_paused) continue;
            if (loop.bucket.has_tokens()) resume_connection(*c);
            else any_paused = true;
        }
        return any_paused ? loop.bucket.wait_ms() : -1;
    }

    void resume_connection(Connection& c) {
        c.rate_paused = false;
        c.last_activity = now(); // waiting for tokens is not a stall
        // May call on_body right here with the data curl held back; on_body can pause again.
        api.easy_pause(c.easy.get(), CURLPAUSE_CONT);
    }

    // ---- completion ------------------------------------------------------------------------

    void release(Connection* c) {
        api.multi_remove_handle(multi.get(), c->easy.get());
        --active;
        if (c->transfer) {
            auto& list = c->transfer->connections;
            list.erase(std::remove(list.begin(), list.end(), c), list.end());
        }
        api.easy_setopt(c->easy.get(), CURLOPT_ERRORBUFFER, nullptr);
        api.easy_setopt(c->easy.get(), CURLOPT_HTTPHEADER, nullptr);
        idle_handles.push_back(std::move(c->easy));
        connections.remove_if([c](const auto& owned) { return owned.get() == c; });
    }

    void drop_connections(Transfer& t) {
        auto list = t.connections;
        for (auto* c : list) release(c);
    }

    void reap_aborted() {
        std::vector<Connection*> doomed;
        for (auto& c : connections)
            if (c->abort) doomed.push_back(c.get());
        for (auto* c : doomed) release(c);
    }

    void finished(CURL* easy, CURLcode result) {
        Connection* c = nullptr;
        api.easy_getinfo(easy, CURLINFO_PRIVATE, &c);
        if (!c) return;
        Transfer& t = *c->transfer;
        if (c->abort) {
            release(c);
            return;
        }
        // The gathered bytes are good whatever ended the request: keep them.
        if (auto written = c->write_out(); !written && !c->fatal) c->fatal = written.error();
        auto error = connection_outcome(*c, result);
        log_request(*c, error.has_value(), active);
        if (!error) {
            t.retry.succeeded(c->received, c->pos >= c->req_end);
            // The speed of the body alone: a slow first byte is the planner's other measure.
            const double seconds = std::chrono::duration<double>(now() - c->first_byte_at.value_or(c->started)).count();
            if (c->received >= k_progress_resets_failures && seconds > 0)
                t.planner.record_piece_speed(static_cast<double>(c->received) / seconds);
            release(c);
            return;
        }
        const FailedAttempt attempt{c->received, c->epoch, c->via_redirect_target};
        release(c);
        if (error->http_status == 429 || error->http_status == 503) governor.overloaded(now());
        if (attempt.via_redirect_target) t.redirect_url.clear();
        const auto decision = t.retry.failed(*error, attempt, now(), random);
        switch (decision.action) {
        case RetryPolicy::Action::give_up: fail_transfer(t, std::move(*error)); return;
        case RetryPolicy::Action::ignore: return;
        case RetryPolicy::Action::wait:
            spdlog::warn("download: transfer {} attempt {} failed ({}); retrying in {:.0f} ms", t.id,
                         t.retry.failures(), error->message, decision.delay_ms);
            report(t, true);
            return;
        }
    }

    void fail_transfer(Transfer& t, Error error) {
        drop_connections(t);
        t.file.flush_journal(now());
        finish(t, tl::unexpected(std::move(error)));
    }

    // Calls on_done and forgets the transfer.
    void finish(Transfer& t, Status status) {
        auto done = std::move(t.on_done);
        const TransferId id = t.id;
        transfers.erase(id); // t is gone from here on
        if (done) done(std::move(status));
    }

    // Hands each transfer's written prefix to the hash worker (which overlaps the transfer and
    // wakes the loop when it catches up) and finishes transfers whose bytes are all hashed.
    void hash_and_complete() {
        std::vector<TransferId> complete;
        for (auto& [id, holder] : transfers) {
            Transfer& t = *holder;
            t.file.pump_hash(hasher ? &*hasher : nullptr);
            if (auto range = t.file.take_writeback()) writeback.request(t.file.fd(), range->first, range->second);
            if (t.connections.empty() && t.file.complete()) complete.push_back(id);
        }
        for (auto id : complete)
            if (auto* t = find(id)) verify(*t);
    }

    void verify(Transfer& t) {
        auto verdict = t.file.verify();
        if (!verdict) {
            fail_transfer(t, std::move(verdict.error()));
        } else if (*verdict == PartialFile::Verdict::verified) {
            spdlog::info("download: transfer {} verified ({} bytes); at most {} connections, engine limit {}", t.id,
                         t.request.size, t.planner.peak_connections(), governor.limit());
            report(t, true);
            finish(t, {});
        } else { // fetched again from scratch, once
            t.single_stream = false;
            t.redirect_url.clear();
            t.retry.start_over();
            t.reported = 0;
        }
    }

    // ---- stalls, journal and progress -----------------------------------------------------------

    // Two silences, two bounds: before the answer's first byte (its head, or else its body) the
    // server may still be building it (a Xet bridge needs 30-60 s), so the wait is bounded by
    // first_byte_timeout; once it answers, stall_timeout catches a body that stopped. Either way
    // the range is retried.
    void check_stalls(Clock::time_point at) {
        std::vector<CURL*> stalled;
        for (auto& c : connections) {
            const auto bound = c->first_byte_at ? options.stall_timeout : options.first_byte_timeout;
            if (!c->rate_paused && !c->abort && at - c->last_activity > bound) stalled.push_back(c->easy.get());
        }
        for (CURL* easy : stalled) {
            // A transfer that gave up on an earlier stalled connection released its others.
            auto it = std::find_if(connections.begin(), connections.end(),
                                   [easy](const auto& c) { return c->easy.get() == easy; });
            if (it == connections.end()) continue;
            const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(at - (*it)->last_activity).count();
            if ((*it)->first_byte_at) spdlog::warn("download: the body stopped for {} ms; reconnecting", silent);
            else spdlog::warn("download: no first byte after {} ms; reconnecting", silent);
            finished(easy, CURLE_OPERATION_TIMEDOUT);
        }
    }

    // A Xet bridge may make every request wait a minute for its first byte. A transfer whose
    // first pieces are all still waiting after slow_start_replan, and which would need more
    // requests after them, drops them (nothing was received, nothing counts as a failure) and
    // lets the planner, now told of the wait, ask each connection for one long range instead.
    void replan_slow_start(Transfer& t, Clock::time_point at) {
        if (t.start_planned || t.connections.empty()) return;
        RangeSet claimed = t.file.done();
        for (const auto* c : t.connections) {
            if (c->first_byte_at || c->checked) {
                t.start_planned = true; // the server answers: pieces stay as they are
                return;
            }
            if (at - c->started < options.slow_start_replan) return;
            claimed.add(c->pos, c->limit);
        }
        t.start_planned = true;
        if (!claimed.first_gap(0, t.request.size)) return; // one wave covers the file anyway
        const auto waited = std::chrono::duration<double>(at - t.connections.front()->started).count();
        spdlog::info("download: transfer {} has no first byte after {:.1f} s; asking for longer ranges", t.id, waited);
        t.planner.record_first_byte(waited);
        drop_connections(t);
    }

    void housekeeping() {
        const auto at = now();
        for (auto& [id, holder] : transfers) replan_slow_start(*holder, at);
        check_stalls(at);
        for (auto& c : connections) {
            c->sample_speed(at);
            if (!c->unwritten.empty() && at - c->gathered_since >= k_write_delay && !c->fatal)
                if (auto written = c->write_out(); !written) c->fatal = written.error();
        }
        for (auto& [id, holder] : transfers) {
            Transfer& t = *holder;
            if (t.file.journal_due(at)) t.file.flush_journal(at);
            report(t, false);
        }
    }

    void report(Transfer& t, bool force) {
        if (!t.on_progress) return;
        const auto at = now();
        if (!force && at - t.last_progress < options.progress_interval) return;
        t.on_progress(progress_of(t, at));
    }
};

// ---- public API (caller threads) -------------------------------------------------------------

Engine::Engine(EngineOptions options) : Engine(std::move(options), hub::curl()) {}
Engine::Engine(EngineOptions options, const hub::CurlApi& curl)
    : m_impl(std::make_unique<Impl>(std::move(options), curl)) {}
Engine::~Engine() = default;

Result<TransferId> Engine::start(FileRequest request, ProgressCallback on_progress,
                                 DoneCallback on_done) {
    if (request.url.empty()) return fail(ErrorCode::bad_request, "download without a URL");
    auto file = PartialFile::open(request, m_impl->now());
    if (!file) return tl::unexpected(file.error());
    const TransferId id = m_impl->next_id++;
    auto transfer = std::make_unique<Transfer>(id, std::move(request), std::move(*file), m_impl->options);
    transfer->on_progress = std::move(on_progress);
    transfer->on_done = std::move(on_done);
    m_impl->push({Impl::Command::Kind::start, id, std::move(transfer), 0});
    return id;
}

void Engine::cancel(TransferId id) { m_impl->push({Impl::Command::Kind::cancel, id, nullptr, 0}); }
void Engine::pause(TransferId id) { m_impl->push({Impl::Command::Kind::pause, id, nullptr, 0}); }
void Engine::resume(TransferId id) { m_impl->push({Impl::Command::Kind::resume, id, nullptr, 0}); }
void Engine::set_rate_limit(std::uint64_t bytes_per_second) {
    m_impl->push({Impl::Command::Kind::rate, 0, nullptr, bytes_per_second});
}

} // namespace tabagent::download
