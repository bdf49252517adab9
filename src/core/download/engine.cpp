#include "core/download/engine.hpp"

#include "core/download/journal.hpp"
#include "core/download/range_set.hpp"
#include "core/download/writeback.hpp"
#include "core/hub/curl_handles.hpp"
#include "core/hub/errors.hpp"
#include "core/hub/http.hpp"
#include "core/util/fd.hpp"
#include "core/util/hash.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <sys/statvfs.h>
#include <thread>
#include <unistd.h>

namespace tabagent::download {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t k_hash_step = 1u << 20;        // pread size while hashing the prefix
constexpr std::uint64_t k_hash_budget = 8u << 20;      // per loop turn, keeps commands prompt
constexpr std::uint64_t k_journal_bytes = 16u << 20;   // journal at least every 16 MiB ...
constexpr auto k_journal_interval = std::chrono::seconds(1); // ... and every second
constexpr std::uint64_t k_progress_resets_failures = 256u << 10;
constexpr std::size_t k_error_body_max = 4096;
constexpr std::uint64_t k_writeback_step = 8u << 20;  // queue writeback per 8 MiB of hashed prefix
constexpr std::uint64_t k_split_floor = 64u << 10; // never split or take over less than this
constexpr double k_split_min_age = 0.3;             // s a connection runs before its speed counts
constexpr double k_split_startup = 0.05;            // s a fresh connection needs for its first byte
constexpr double k_speed_window = 0.25;             // s over which a connection's recent speed is taken

struct Transfer;

// Global token bucket for the optional rate limit. Tokens may go negative (a whole curl buffer
// is taken at once); a connection finding the bucket empty pauses itself until the loop refills.
struct RateBucket {
    std::uint64_t rate = 0; // bytes per second, 0 = off
    double tokens = 0;
    Clock::time_point last{};

    void refill(Clock::time_point now) {
        if (rate == 0) return;
        const double elapsed = std::chrono::duration<double>(now - last).count();
        last = now;
        const double cap = std::max(static_cast<double>(rate) / 10.0, 64.0 * 1024);
        tokens = std::min(cap, tokens + elapsed * static_cast<double>(rate));
    }
};

struct Connection {
    Transfer* transfer = nullptr;
    RateBucket* bucket = nullptr;
    bool rate_paused = false;
    hub::CurlEasy easy;
    hub::CurlSlist headers;
    char error_buffer[CURL_ERROR_SIZE] = {};
    std::uint64_t start = 0;   // first byte requested
    std::uint64_t req_end = 0; // one past the last byte requested
    std::uint64_t limit = 0;   // stop writing here (< req_end after a tail split)
    std::uint64_t pos = 0;     // next byte to write
    std::uint64_t received = 0;
    std::uint64_t epoch = 0;
    Clock::time_point started;
    Clock::time_point last_activity; // last header/body byte (stall detection)
    std::uint64_t mark_bytes = 0;    // `received` at mark_time, for the recent speed
    Clock::time_point mark_time;
    double recent_speed = -1;        // bytes/s over the last window; -1 = not measured yet
    bool via_redirect_target = false;
    hub::ResponseHeaders response;
    bool checked = false;   // first body byte seen and the status judged
    bool is_error = false;  // non-2xx body: collected into error_body, never written
    bool stop_ok = false;   // we stopped it on purpose after our last byte
    bool abort = false;     // discard: another stream took over, or pause/cancel
    std::optional<Error> fatal; // write failure (ENOSPC) or protocol violation
    std::string error_body;
};

struct Transfer {
    TransferId id = 0;
    FileRequest request;
    ProgressCallback on_progress;
    DoneCallback on_done;
    util::UniqueFd fd;
    util::HashKind kind = util::HashKind::sha256;
    std::unique_ptr<util::Hasher> hasher;
    std::uint64_t hashed = 0;
    std::uint64_t written_back = 0; // prefix handed to Writeback
    RangeSet done;
    std::vector<Connection*> connections;
    int connection_cap = 1;
    std::uint64_t piece = 0;
    bool single_stream = false; // the server ignored Range: one stream from byte 0
    bool paused = false;
    bool integrity_retried = false;
    int failures = 0;
    std::uint64_t epoch = 0;
    Clock::time_point not_before{};
    std::string redirect_url; // resolved CDN URL, reused for the other pieces
    Clock::time_point last_journal{};
    std::uint64_t unjournaled = 0;
    bool journal_dirty = false;
    Clock::time_point last_progress{};
    std::uint64_t reported = 0;
    std::uint64_t speed_bytes = 0;
    Clock::time_point speed_since{};
    double speed = 0;
    double fresh_speed = 0; // bytes/s one connection reached on recent whole pieces (EMA)
};

std::string range_value(std::uint64_t begin, std::uint64_t end) {
    return std::to_string(begin) + "-" + std::to_string(end - 1);
}

// "bytes 100-199/1000" -> first byte and total; false when malformed.
bool parse_content_range(const std::string& value, std::uint64_t& first, std::uint64_t& total) {
    unsigned long long a = 0, b = 0, t = 0;
    if (std::sscanf(value.c_str(), "bytes %llu-%llu/%llu", &a, &b, &t) != 3) return false;
    first = a;
    total = t;
    return true;
}

} // namespace

struct Engine::Impl {
    struct Command {
        enum class Kind { start, cancel, pause, resume, rate } kind;
        TransferId id = 0;
        std::unique_ptr<Transfer> transfer;
        std::uint64_t rate = 0;
    };

    EngineOptions options;
    const hub::CurlApi& api = hub::curl(); // ModelService::engine() checked that it loads
    hub::CurlMulti multi{api.multi_init()};
    std::mutex mutex;
    std::vector<Command> commands;
    std::atomic<TransferId> next_id{1};
    // Engine thread only:
    std::map<TransferId, std::unique_ptr<Transfer>> transfers;
    std::list<std::unique_ptr<Connection>> connections;
    std::vector<hub::CurlEasy> idle_handles;
    int active = 0;
    RateBucket bucket;
    std::mt19937_64 random{std::random_device{}()};
    Writeback writeback; // declared before the loop thread: outlives it
    std::jthread thread;

    explicit Impl(EngineOptions o) : options(o) {
        bucket.rate = o.rate_limit_bytes_per_second;
        bucket.last = Clock::now();
        api.multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          static_cast<long>(options.max_connections));
        thread = std::jthread([this](std::stop_token stop) { run(stop); });
    }

    ~Impl() {
        thread.request_stop();
        api.multi_wakeup(multi.get());
        thread.join();
    }

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
            const bool more_hashing = hash_and_complete();
            housekeeping();
            int timeout_ms = more_hashing ? 0 : 100;
            if (const int wait = unpause_rate_limited(); wait >= 0) timeout_ms = std::min(timeout_ms, wait);
            api.multi_poll(multi.get(), nullptr, 0, timeout_ms, nullptr);
        }
        for (auto& [id, transfer] : transfers) {
            drop_connections(*transfer);
            flush_journal(*transfer);
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
        for (auto& command : batch) {
            switch (command.kind) {
            case Command::Kind::start: {
                auto id = command.transfer->id;
                transfers.emplace(id, std::move(command.transfer));
                break;
            }
            case Command::Kind::cancel:
                if (auto* t = find(command.id)) {
                    drop_connections(*t);
                    flush_journal(*t);
                    finish(*t, fail(ErrorCode::cancelled, "download cancelled"));
                }
                break;
            case Command::Kind::pause:
                if (auto* t = find(command.id); t && !t->paused) {
                    t->paused = true;
                    drop_connections(*t);
                    flush_journal(*t);
                    report(*t, true);
                }
                break;
            case Command::Kind::resume:
                if (auto* t = find(command.id); t && t->paused) {
                    t->paused = false;
                    t->not_before = Clock::now();
                    report(*t, true);
                }
                break;
            case Command::Kind::rate:
                bucket.rate = command.rate;
                bucket.tokens = 0;
                bucket.last = Clock::now();
                break;
            }
        }
    }

    Transfer* find(TransferId id) {
        auto it = transfers.find(id);
        return it == transfers.end() ? nullptr : it->second.get();
    }

    // ---- scheduling ------------------------------------------------------------------------

    void schedule() {
        const auto now = Clock::now();
        bool started = true;
        // Round robin: one connection per transfer per pass, so transfers share the budget.
        while (started && active < options.max_connections) {
            started = false;
            for (auto& [id, holder] : transfers) {
                if (active >= options.max_connections) break;
                Transfer& t = *holder;
                if (t.paused || now < t.not_before) continue;
                if (static_cast<int>(t.connections.size()) >= t.connection_cap) continue;
                if (t.single_stream && !t.connections.empty()) continue;
                RangeSet claimed = t.done;
                for (auto* c : t.connections) claimed.add(c->pos, c->limit);
                if (auto gap = claimed.first_gap(0, t.request.size)) {
                    const std::uint64_t end =
                        t.single_stream ? t.request.size : std::min(gap->second, gap->first + t.piece);
                    started |= open_connection(t, gap->first, end);
                } else if (!t.single_stream && bucket.rate == 0) {
                    // (Under a rate limit every connection is slow on purpose: no splitting.)
                    started |= split_tail(t, now);
                }
            }
        }
    }

    // The end game: no gap is left, yet a connection is free. A lagging piece is split in
    // proportion to the speeds, so that the lagging connection and a fresh one (expected to run at
    // the speed recent pieces ran at) finish together; a piece the lagging connection would hardly
    // contribute to is taken over whole (the lagging connection is dropped). This is what keeps the
    // last percent as quick as the others. Each byte is still written by exactly one connection.
    bool split_tail(Transfer& t, Clock::time_point now) {
        Connection* slowest = nullptr;
        double worst_eta = 0, slowest_speed = 0;
        for (auto* c : t.connections) {
            const std::uint64_t remaining = c->limit > c->pos ? c->limit - c->pos : 0;
            if (remaining < k_split_floor || !c->checked || c->is_error || c->abort) continue;
            const double elapsed = std::chrono::duration<double>(now - c->started).count();
            if (elapsed < k_split_min_age) continue;
            // The recent speed tells a lagging connection (slow now) from one that merely shared
            // the client's CPU with many others (fast now that they are done: no split needed).
            const double speed =
                c->recent_speed >= 0 ? c->recent_speed : static_cast<double>(c->received) / elapsed;
            const double eta = speed > 0 ? static_cast<double>(remaining) / speed : 1e9;
            if (eta > worst_eta) {
                worst_eta = eta;
                slowest = c;
                slowest_speed = speed;
            }
        }
        if (!slowest) return false;
        const std::uint64_t begin = slowest->pos;
        const std::uint64_t end = slowest->limit;
        const double remaining = static_cast<double>(end - begin);
        if (t.fresh_speed <= 0) {
            // Nothing measured yet: halve only a clearly late piece.
            if (end - begin < 2 * options.tail_split_min ||
                worst_eta * 1000 < static_cast<double>(options.tail_split_eta.count()))
                return false;
            const std::uint64_t mid = begin + (end - begin) / 2;
            slowest->limit = mid;
            spdlog::debug("download: halving the tail of transfer {} at {}", t.id, mid);
            return open_connection(t, mid, end);
        }
        const double together = remaining / (slowest_speed + t.fresh_speed) + k_split_startup;
        if (worst_eta < 1.5 * together + k_split_startup) return false; // not worth a connection
        const auto keep = static_cast<std::uint64_t>(remaining * slowest_speed / (slowest_speed + t.fresh_speed));
        if (keep < k_split_floor || keep * 8 < end - begin) {
            spdlog::debug("download: transfer {} takes over a lagging range at {}", t.id, begin);
            release(slowest); // its written bytes stay in t.done; the rest is fetched again
            return open_connection(t, begin, end);
        }
        const std::uint64_t mid = begin + keep;
        slowest->limit = mid;
        spdlog::debug("download: splitting the tail of transfer {} at {}", t.id, mid);
        return open_connection(t, mid, end);
    }

    bool open_connection(Transfer& t, std::uint64_t begin, std::uint64_t end) {
        auto c = std::make_unique<Connection>();
        if (!idle_handles.empty()) {
            c->easy = std::move(idle_handles.back());
            idle_handles.pop_back();
            api.easy_reset(c->easy.get());
        } else {
            c->easy.reset(api.easy_init());
        }
        if (!c->easy) return false;
        c->transfer = &t;
        c->bucket = &bucket;
        c->start = c->pos = begin;
        c->req_end = c->limit = end;
        c->epoch = t.epoch;
        c->started = c->last_activity = Clock::now();
        const std::string& url = t.redirect_url.empty() ? t.request.url : t.redirect_url;
        c->via_redirect_target = !t.redirect_url.empty();
        // Credentials only to the request URL's origin (the CDN gets signed URLs instead).
        if (hub::url_origin(url) == hub::url_origin(t.request.url))
            for (const auto& line : t.request.headers) hub::slist_append(c->headers, line.c_str());
        CURL* e = c->easy.get();
        api.easy_setopt(e, CURLOPT_URL, url.c_str());
        api.easy_setopt(e, CURLOPT_HTTPHEADER, c->headers.get());
        api.easy_setopt(e, CURLOPT_USERAGENT, hub::user_agent().c_str());
        api.easy_setopt(e, CURLOPT_RANGE, range_value(begin, end).c_str());
        api.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        api.easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
        api.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        api.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        api.easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        api.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        api.easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        api.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
        // Stalls are detected by this loop (check_stalls): libcurl's LOW_SPEED check averages
        // over a window of several seconds, so it reacts far later than stall_timeout.
        api.easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
        api.easy_setopt(e, CURLOPT_ERRORBUFFER, c->error_buffer);
        api.easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
        api.easy_setopt(e, CURLOPT_HEADERDATA, c.get());
        api.easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body);
        api.easy_setopt(e, CURLOPT_WRITEDATA, c.get());
        api.easy_setopt(e, CURLOPT_PRIVATE, c.get());
        if (api.multi_add_handle(multi.get(), e) != CURLM_OK) return false;
        t.connections.push_back(c.get());
        connections.push_back(std::move(c));
        ++active;
        return true;
    }

    // Rate limit: a global token bucket checked in the write callback, which returns
    // CURL_WRITEFUNC_PAUSE when it is empty; this loop refills it and resumes the paused
    // connections (curl_easy_pause). Chosen over CURLOPT_MAX_RECV_SPEED_LARGE because libcurl
    // 7.88 reads a readable plain socket up to 100 buffers in one go without consulting that
    // limit (a 6 MiB loopback transfer at "1 MB/s" took 35 ms), and because one bucket shares the
    // budget across connections whatever their count. libcurl exempts paused transfers from its
    // low-speed (stall) check. Returns the ms until the next refill matters, or -1.
    int unpause_rate_limited() {
        if (bucket.rate == 0) {
            for (auto& c : connections)
                if (c->rate_paused) resume_connection(*c);
            return -1;
        }
        bucket.refill(Clock::now());
        bool any_paused = false;
        for (auto& c : connections) {
            if (!c->rate_paused) continue;
            if (bucket.tokens > 0) resume_connection(*c);
            else any_paused = true;
        }
        if (!any_paused) return -1;
        const double wait = -bucket.tokens / static_cast<double>(bucket.rate) * 1000.0;
        return std::clamp(static_cast<int>(wait) + 1, 1, 100);
    }

    void resume_connection(Connection& c) {
        c.rate_paused = false;
        c.last_activity = Clock::now(); // waiting for tokens is not a stall
        // May call on_body right here with the data curl held back; on_body can pause again.
        api.easy_pause(c.easy.get(), CURLPAUSE_CONT);
    }

    // ---- callbacks (inside curl_multi_perform; no multi calls here) --------------------------

    static size_t on_header(char* data, size_t size, size_t count, void* user) {
        auto* c = static_cast<Connection*>(user);
        c->last_activity = Clock::now();
        c->response.feed(std::string_view(data, size * count));
        return size * count;
    }

    static size_t on_body(char* data, size_t size, size_t count, void* user) {
        auto* c = static_cast<Connection*>(user);
        const size_t n = size * count;
        if (c->abort) return 0;
        c->last_activity = Clock::now();
        Transfer& t = *c->transfer;
        if (!c->checked) {
            c->checked = true;
            const long status = c->response.status;
            if (status == 206) {
                std::uint64_t first = 0, total = 0;
                if (!parse_content_range(c->response.get("content-range"), first, total) ||
                    first != c->start || total != t.request.size) {
                    c->fatal = Error{ErrorCode::network, "server sent an unexpected Content-Range",
                                     {{"content_range", c->response.get("content-range")}}};
                    c->fatal->http_status = 206;
                    return 0;
                }
            } else if (status == 200) {
                // Range ignored: the body starts at byte 0. This stream takes the whole file and
                // every other connection of the transfer is dropped.
                if (t.single_stream && !(t.connections.size() == 1 && t.connections[0] == c)) {
                    c->abort = true;
                    return 0;
                }
                t.single_stream = true;
                c->start = c->pos = 0;
                c->limit = c->req_end = t.request.size;
                for (auto* other : t.connections)
                    if (other != c) other->abort = true;
            } else {
                c->is_error = true;
            }
            if (!c->is_error) {
                const char* effective = nullptr;
                hub::curl().easy_getinfo(c->easy.get(), CURLINFO_EFFECTIVE_URL, &effective);
                if (effective && t.redirect_url.empty() && t.request.url != effective)
                    t.redirect_url = effective;
            }
        }
        if (c->bucket->rate > 0 && !c->is_error) {
            if (c->bucket->tokens <= 0) {
                c->rate_paused = true;
                return CURL_WRITEFUNC_PAUSE;
            }
            c->bucket->tokens -= static_cast<double>(n);
        }
        if (c->is_error) {
            if (c->error_body.size() < k_error_body_max)
                c->error_body.append(data, std::min(n, k_error_body_max - c->error_body.size()));
            return n;
        }
        const std::uint64_t room = c->limit > c->pos ? c->limit - c->pos : 0;
        const size_t take = static_cast<size_t>(std::min<std::uint64_t>(room, n));
        if (take > 0) {
            if (auto written = t.fd.pwrite_all(data, take, c->pos); !written) {
                c->fatal = written.error();
                return 0;
            }
            t.done.add(c->pos, c->pos + take);
            c->pos += take;
            c->received += take;
            t.unjournaled += take;
            t.speed_bytes += take;
            t.journal_dirty = true;
        }
        if (take < n || (c->pos >= c->limit && c->limit < c->req_end)) {
            c->stop_ok = true; // our share is written; the rest belongs to another connection
            return 0;
        }
        return n;
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
        const bool complete = !c->is_error && !c->fatal &&
                              ((result == CURLE_OK && c->checked && c->pos >= c->limit) ||
                               (result == CURLE_WRITE_ERROR && c->stop_ok));
        if (complete) {
            if (c->received >= k_progress_resets_failures || c->pos >= c->req_end) t.failures = 0;
            const double seconds = std::chrono::duration<double>(Clock::now() - c->started).count();
            if (c->received >= k_progress_resets_failures && seconds > 0) {
                const double speed = static_cast<double>(c->received) / seconds;
                t.fresh_speed = t.fresh_speed == 0 ? speed : 0.5 * t.fresh_speed + 0.5 * speed;
            }
            release(c);
            return;
        }
        if (c->fatal && c->fatal->code == ErrorCode::disk_full) {
            Error error = *c->fatal;
            release(c);
            fail_transfer(t, std::move(error));
            return;
        }
        Error error;
        if (c->fatal) {
            error = *c->fatal;
        } else if (c->is_error || (result == CURLE_OK && c->response.status >= 300)) {
            error = hub::http_error(c->response.status,
                                    c->response.failure_info("", t.request.url));
        } else if (result != CURLE_OK) {
            error = hub::transport_error(result, c->error_buffer);
        } else {
            error = hub::transport_error(CURLE_PARTIAL_FILE, "connection ended early");
        }
        const bool progressed = c->received >= k_progress_resets_failures;
        const bool stale = c->epoch != t.epoch;
        const bool via_cdn = c->via_redirect_target;
        release(c);
        // A refused signed CDN URL (expired) is retried through the resolve URL.
        const bool retry = hub::is_retryable(error) || (via_cdn && error.http_status >= 400);
        if (via_cdn) t.redirect_url.clear();
        if (!retry) {
            fail_transfer(t, std::move(error));
            return;
        }
        if (progressed) t.failures = 0;
        if (stale) return; // this failure belongs to a round that already backed off
        ++t.failures;
        ++t.epoch;
        if (t.failures >= options.max_attempts) {
            error.details["attempts"] = t.failures;
            fail_transfer(t, std::move(error));
            return;
        }
        double delay_ms = 0;
        if (error.details.contains("retry_after")) {
            delay_ms = error.details["retry_after"].get<double>() * 1000.0;
        } else {
            const double base = static_cast<double>(options.backoff_base.count());
            const double cap = static_cast<double>(options.backoff_cap.count());
            const double exp = std::min(cap, base * std::pow(2.0, t.failures - 1));
            std::uniform_real_distribution<double> jitter(0.5, 1.0);
            delay_ms = exp * jitter(random);
        }
        spdlog::warn("download: transfer {} attempt {} failed ({}); retrying in {:.0f} ms", t.id,
                     t.failures, error.message, delay_ms);
        t.not_before = std::max(t.not_before, Clock::now() + std::chrono::milliseconds(
                                                                 static_cast<long long>(delay_ms)));
        report(t, true);
    }

    void fail_transfer(Transfer& t, Error error) {
        drop_connections(t);
        flush_journal(t);
        finish(t, tl::unexpected(std::move(error)));
    }

    // Calls on_done and forgets the transfer.
    void finish(Transfer& t, Status status) {
        auto done = std::move(t.on_done);
        const TransferId id = t.id;
        transfers.erase(id); // t is gone from here on
        if (done) done(std::move(status));
    }

    // Hashes the contiguous written prefix (overlapping the transfer) and finishes transfers whose
    // bytes are all present. Returns true when hashing work is left for the next turn.
    bool hash_and_complete() {
        std::uint64_t budget = k_hash_budget;
        std::vector<std::byte> buffer(k_hash_step);
        std::vector<TransferId> complete;
        bool more = false;
        for (auto& [id, holder] : transfers) {
            Transfer& t = *holder;
            const std::uint64_t prefix = t.done.prefix_end();
            while (t.hashed < prefix && budget > 0) {
                const auto want = static_cast<size_t>(std::min<std::uint64_t>(k_hash_step, prefix - t.hashed));
                auto got = t.fd.pread_some(std::span(buffer.data(), want), t.hashed);
                if (!got || *got == 0) break; // reported by the final check
                t.hasher->update(buffer.data(), *got);
                t.hashed += *got;
                budget -= std::min<std::uint64_t>(budget, *got);
            }
            if (t.hashed < prefix) more = true;
            if (t.hashed - t.written_back >= k_writeback_step ||
                (t.hashed == t.request.size && t.hashed > t.written_back)) {
                writeback.request(t.fd.get(), t.written_back, t.hashed - t.written_back);
                t.written_back = t.hashed;
            }
            if (t.connections.empty() && t.done.covers(0, t.request.size) &&
                t.hashed >= t.request.size)
                complete.push_back(id);
        }
        for (auto id : complete)
            if (auto* t = find(id)) verify(*t);
        return more;
    }

    void verify(Transfer& t) {
        const std::string actual = t.hasher->hex_digest();
        std::string expected = t.request.etag;
        std::transform(expected.begin(), expected.end(), expected.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        const auto journal = journal_path(t.request.partial);
        if (actual == expected) {
            // The fsync before the rename is cache::Store::publish's; Writeback has been pushing
            // the bytes to disk since the download began, so it has little left to do.
            if (::ftruncate(t.fd.get(), static_cast<off_t>(t.request.size)) != 0) {
                fail_transfer(t, util::errno_error(errno, "cannot truncate", t.request.partial));
                return;
            }
            std::error_code ec;
            std::filesystem::remove(journal, ec);
            report(t, true);
            t.fd.reset();
            finish(t, {});
            return;
        }
        spdlog::warn("download: hash mismatch for {} (expected {}, got {})",
                     hub::strip_query(t.request.url), expected, actual);
        std::error_code ec;
        if (!t.integrity_retried) {
            // Bad data is removed and the file fetched once more from scratch.
            t.integrity_retried = true;
            std::filesystem::remove(journal, ec);
            if (::ftruncate(t.fd.get(), 0) != 0) {
                fail_transfer(t, util::errno_error(errno, "cannot truncate", t.request.partial));
                return;
            }
            t.done.clear();
            t.hashed = 0;
            t.written_back = 0;
            t.hasher = std::make_unique<util::Hasher>(t.kind, t.request.size);
            t.single_stream = false;
            t.redirect_url.clear();
            t.failures = 0;
            ++t.epoch;
            t.reported = 0;
            return;
        }
        t.fd.reset();
        std::filesystem::remove(t.request.partial, ec);
        std::filesystem::remove(journal, ec);
        finish(t, fail(ErrorCode::integrity, "downloaded bytes do not match the expected hash",
                       {{"expected", expected}, {"actual", actual}}));
    }

    // ---- journal and progress ----------------------------------------------------------------

    void flush_journal(Transfer& t) {
        if (!t.journal_dirty || !t.fd) return;
        // No fdatasync here: the journal names bytes already written to the partial, which a
        // kill -9 cannot take back (they are in the page cache). After a power loss it may name
        // bytes that never reached the disk; the final hash check catches that and the file is
        // fetched again (integrity retry). Syncing here ran at disk speed on the loop thread and
        // capped downloads at ~70 MB/s on a disk that writes 70 MB/s.
        JournalData data{t.request.url, t.request.etag, t.request.size, t.done};
        if (auto written = write_journal(journal_path(t.request.partial), data, false); !written)
            spdlog::warn("download: {}", written.error().message);
        t.journal_dirty = false;
        t.unjournaled = 0;
        t.last_journal = Clock::now();
    }

    // A connection that received nothing for stall_timeout is dropped and its range retried.
    void check_stalls() {
        const auto now = Clock::now();
        std::vector<Connection*> stalled;
        for (auto& c : connections)
            if (!c->rate_paused && !c->abort && now - c->last_activity > options.stall_timeout)
                stalled.push_back(c.get());
        for (auto* c : stalled) {
            spdlog::warn("download: no data for {} ms; reconnecting",
                         std::chrono::duration_cast<std::chrono::milliseconds>(now - c->last_activity).count());
            finished(c->easy.get(), CURLE_OPERATION_TIMEDOUT);
        }
    }

    void housekeeping() {
        check_stalls();
        const auto now = Clock::now();
        for (auto& c : connections) {
            const double window = std::chrono::duration<double>(now - c->mark_time).count();
            if (c->mark_time == Clock::time_point{}) {
                c->mark_time = now;
                c->mark_bytes = c->received;
            } else if (window >= k_speed_window) {
                c->recent_speed = static_cast<double>(c->received - c->mark_bytes) / window;
                c->mark_time = now;
                c->mark_bytes = c->received;
            }
        }
        for (auto& [id, holder] : transfers) {
            Transfer& t = *holder;
            if (t.journal_dirty &&
                (t.unjournaled >= k_journal_bytes || now - t.last_journal >= k_journal_interval))
                flush_journal(t);
            const double window = std::chrono::duration<double>(now - t.speed_since).count();
            if (window >= 0.5) {
                const double current = static_cast<double>(t.speed_bytes) / window;
                t.speed = t.speed == 0 ? current : 0.5 * t.speed + 0.5 * current;
                t.speed_bytes = 0;
                t.speed_since = now;
            }
            report(t, false);
        }
    }

    void report(Transfer& t, bool force) {
        if (!t.on_progress) return;
        const auto now = Clock::now();
        if (!force && now - t.last_progress < options.progress_interval) return;
        Progress p;
        p.bytes_total = t.request.size;
        // Never backwards, even when an integrity retry starts over.
        p.bytes_done = std::max(t.reported, t.done.covered());
        t.reported = p.bytes_done;
        p.bytes_per_second = t.paused ? 0 : t.speed;
        p.waiting = now < t.not_before;
        p.paused = t.paused;
        p.connections = static_cast<int>(t.connections.size());
        t.last_progress = now;
        t.on_progress(p);
    }
};

// ---- public API (caller threads) -------------------------------------------------------------

Engine::Engine(EngineOptions options) : m_impl(std::make_unique<Impl>(options)) {}
Engine::~Engine() = default;

Result<TransferId> Engine::start(FileRequest request, ProgressCallback on_progress,
                                 DoneCallback on_done) {
    auto transfer = std::make_unique<Transfer>();
    if (request.url.empty()) return fail(ErrorCode::bad_request, "download without a URL");
    if (!util::hash_kind_for_etag(request.etag, transfer->kind))
        return fail(ErrorCode::bad_request, "etag is neither a sha256 nor a git sha1",
                    {{"etag", request.etag}});
    const auto journal = journal_path(request.partial);
    std::error_code exists_ec;
    const bool existed = std::filesystem::exists(request.partial, exists_ec);
    auto fd = util::UniqueFd::open_write(request.partial);
    if (!fd) return tl::unexpected(fd.error());
    auto existing = read_journal(journal);
    auto file_size = fd->size();
    if (!file_size) return tl::unexpected(file_size.error());
    if (existing && existing->etag == request.etag && existing->size == request.size) {
        transfer->done = std::move(existing->done);
        transfer->done.clip(std::min(*file_size, request.size)); // never trust bytes past EOF
    } else {
        // Unknown or different content: start clean.
        std::error_code ec;
        std::filesystem::remove(journal, ec);
        if (::ftruncate(fd->get(), 0) != 0)
            return tl::unexpected(util::errno_error(errno, "cannot truncate", request.partial));
    }
    const std::uint64_t missing = request.size - transfer->done.covered();
    struct statvfs fs {};
    const auto dir = request.partial.has_parent_path() ? request.partial.parent_path()
                                                       : std::filesystem::path(".");
    if (::statvfs(dir.c_str(), &fs) == 0) {
        const auto free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
        if (free_bytes < missing) {
            if (!existed) { // "nothing started": no empty partial left behind
                fd->reset();
                std::filesystem::remove(request.partial, exists_ec);
            }
            return fail(ErrorCode::disk_full, "not enough free disk space for the download",
                        {{"needed", missing}, {"free", free_bytes}, {"path", dir.string()}});
        }
    }
    const auto& opts = m_impl->options;
    transfer->id = m_impl->next_id++;
    transfer->request = std::move(request);
    transfer->on_progress = std::move(on_progress);
    transfer->on_done = std::move(on_done);
    transfer->fd = std::move(*fd);
    transfer->hasher = std::make_unique<util::Hasher>(transfer->kind, transfer->request.size);
    const std::uint64_t size = transfer->request.size;
    const std::uint64_t by_size = size / std::max<std::uint64_t>(opts.min_segment_size, 1);
    transfer->connection_cap = static_cast<int>(std::clamp<std::uint64_t>(
        by_size, 1, static_cast<std::uint64_t>(std::max(opts.max_connections_per_file, 1))));
    const std::uint64_t even = (size + static_cast<std::uint64_t>(transfer->connection_cap) - 1) /
                               static_cast<std::uint64_t>(transfer->connection_cap);
    transfer->piece = std::max<std::uint64_t>(
        1, std::min(opts.piece_size, std::max(opts.min_segment_size, even)));
    const auto now = Clock::now();
    transfer->last_journal = transfer->speed_since = now;
    const TransferId id = transfer->id;
    Impl::Command command{Impl::Command::Kind::start, id, std::move(transfer), 0};
    m_impl->push(std::move(command));
    return id;
}

void Engine::cancel(TransferId id) { m_impl->push({Impl::Command::Kind::cancel, id, nullptr, 0}); }
void Engine::pause(TransferId id) { m_impl->push({Impl::Command::Kind::pause, id, nullptr, 0}); }
void Engine::resume(TransferId id) { m_impl->push({Impl::Command::Kind::resume, id, nullptr, 0}); }
void Engine::set_rate_limit(std::uint64_t bytes_per_second) {
    m_impl->push({Impl::Command::Kind::rate, 0, nullptr, bytes_per_second});
}

} // namespace tabagent::download
