#pragma once
// The transfer engine (DESIGN §7): ONE event-loop thread drives a libcurl multi handle for every
// transfer. A transfer fills one partial file (`.incomplete`) with exactly `size` bytes whose hash
// equals `etag`; the caller renames it into place. Large files are split into pieces fetched with
// bounded Range requests by several connections, written with pwrite; a journal beside the partial
// (`<partial>.journal`) lets a later start fetch only the missing ranges. Memory does not grow
// with file size.
//
// Inside, the loop (engine.cpp) and its libcurl side (connection.cpp) wire pure parts:
// SegmentPlanner (which range next, tail splitting), RetryPolicy (backoff, Retry-After),
// RateBucket (the global limit) and PartialFile (the partial, its journal, hash and checks).
// Time and the libcurl function table are injected (EngineOptions::clock, the constructor), so
// tests drive the real loop on a fake transport and a fake clock.
#include "core/download/transfer.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::hub {
struct CurlApi;
class HostBudgets;
}

namespace tabagent::download {

struct EngineOptions {
    // The connection count is adaptive (connection_governor.hpp): it starts at start_connections
    // and grows while the aggregate grows, never past max_connections (global, all transfers).
    int max_connections = 32;
    int start_connections = 16;
    std::chrono::milliseconds governor_window{250}; // the governor's measuring window
    int max_connections_per_file = 32;             // one large file may use the whole budget
    std::uint64_t min_segment_size = 4u << 20;     // a file gets one connection per this many bytes
    std::uint64_t piece_size = 16u << 20;          // upper bound of one Range request
    // Until a whole piece has given a per-connection speed, a lagging last piece is halved only
    // when it is at least 2x tail_split_min and expected to need longer than tail_split_eta;
    // after that it is split by the measured speeds (see split_tail).
    std::uint64_t tail_split_min = 1u << 20;
    std::chrono::milliseconds tail_split_eta{2000};
    std::chrono::milliseconds stall_timeout{10'000}; // body started, then no byte for this long -> reconnect
    // Request sent, no answer yet (a redirect does not count): a Xet bridge (cas-bridge.xethub.hf.co,
    // *.cdn.hf.co) may rebuild the file for 30-60 s before its first byte, so this wait has its
    // own, longer bound.
    std::chrono::milliseconds first_byte_timeout{120'000};
    // When no connection of a transfer has its first byte after this long and the pieces asked
    // leave part of the file for later requests, they are asked again as one range per
    // connection: one wait for the whole file instead of one per wave of pieces.
    std::chrono::milliseconds slow_start_replan{5'000};
    std::chrono::milliseconds connect_timeout{10'000};
    int max_attempts = 6;                          // consecutive failures without progress
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_cap{30'000};
    std::uint64_t rate_limit_bytes_per_second = 0; // global; 0 = off; see set_rate_limit
    std::chrono::milliseconds progress_interval{100};
    // Hash the written prefix on a thread of its own (hash_worker.hpp); false = on the loop
    // thread, all of it at once (tests that want every step of the loop deterministic).
    bool hash_thread = true;
    // The engine's time (stalls, backoff, journal cadence, speeds, rate limit, progress); empty =
    // std::chrono::steady_clock::now. Tests pass a fake clock.
    std::function<std::chrono::steady_clock::time_point()> clock;
    std::optional<std::uint64_t> random_seed; // of the backoff jitter; empty = std::random_device
    // Request budgets per host, shared with the Hub client (hub/rate_budget.hpp): a connection
    // opens only when its host's budget allows, and every response head feeds it. Null = none.
    std::shared_ptr<hub::HostBudgets> budgets;
};

class Engine final : public TransferEngine {
public:
    // Drives libcurl through hub::curl() (the caller has checked that it loads).
    explicit Engine(EngineOptions options = {});
    // Drives libcurl through `curl`, which must outlive the engine (tests pass a fake table).
    Engine(EngineOptions options, const hub::CurlApi& curl);
    // Stops the loop; unfinished transfers flush their journal and get on_done(CANCELLED).
    ~Engine() override;
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Checks the request, the free disk space (statvfs: missing bytes must fit, else DISK_FULL)
    // and an existing journal (same etag and size -> resume the missing ranges; otherwise the
    // partial is truncated and restarted). On an error here no callback is ever called.
    // Otherwise exactly one on_done follows: success (partial holds the verified bytes, written
    // back progressively but not fsynced: the publisher fsyncs before its rename; journal
    // removed), or an error: NOT_FOUND / AUTH_REQUIRED (final HTTP answers), RATE_LIMITED /
    // NETWORK (attempts exhausted), INTEGRITY (hash mismatch twice; partial and journal deleted),
    // DISK_FULL (ENOSPC; partial and journal kept), CANCELLED (cancel or shutdown; kept).
    // Callbacks run on the engine thread and must be cheap; on_progress at most every
    // progress_interval and never goes backwards.
    Result<TransferId> start(FileRequest request, ProgressCallback on_progress,
                             DoneCallback on_done) override;

    // Each takes effect on the engine thread within milliseconds; unknown ids are ignored.
    void cancel(TransferId id) override;
    void pause(TransferId id) override; // drops the connections, keeps the partial and journal
    void resume(TransferId id) override;
    void set_rate_limit(std::uint64_t bytes_per_second); // 0 = off

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tabagent::download
