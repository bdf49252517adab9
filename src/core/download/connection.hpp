#pragma once
// The engine's libcurl side, one level below the loop (engine.cpp): the state of a transfer and
// of each of its connections, the easy-handle setup of one bounded Range request, the header and
// body callbacks (which judge the response, apply the rate limit and write into the partial),
// and the reading of a finished connection. Internal to the engine; everything runs on its
// thread.
#include "core/download/connection_governor.hpp"
#include "core/download/engine.hpp"
#include "core/download/partial_file.hpp"
#include "core/download/rate_bucket.hpp"
#include "core/download/retry_policy.hpp"
#include "core/download/segment_planner.hpp"
#include "core/hub/curl_handles.hpp"
#include "core/hub/http.hpp"
#include "core/util/speed_meter.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::download {

using Clock = std::chrono::steady_clock;

// The window of a connection's recent speed, which tells the tail splitter a lagging connection
// (slow now) from one that merely shared the CPU with many others.
inline constexpr std::chrono::milliseconds k_speed_window{250};
// Body bytes are gathered per connection and written with one pwrite per this many: libcurl
// hands them over in 16 KiB callbacks, and a pwrite each made 131 000 system calls for 2 GiB.
inline constexpr std::size_t k_write_batch = 64u << 10;
// ... or once the oldest gathered byte waited this long: a slow or stalled connection's bytes
// still reach the partial (and the progress, and a later resume) promptly.
inline constexpr std::chrono::milliseconds k_write_delay{200};

// What the callbacks need from the loop that owns them.
struct LoopContext {
    const hub::CurlApi& api;
    std::function<Clock::time_point()> clock; // never empty
    RateBucket bucket;
    hub::HostBudgets* budgets = nullptr; // EngineOptions::budgets
    ConnectionGovernor* governor = nullptr; // told of first-byte waits
    std::uint64_t received = 0;          // body bytes of every transfer so far (the governor's measure)

    Clock::time_point now() const { return clock(); }
};

struct Connection;

struct Transfer {
    Transfer(TransferId id_, FileRequest request_, PartialFile file_, const EngineOptions& options)
        : id(id_), request(std::move(request_)), file(std::move(file_)), planner(request.size, options),
          retry({options.max_attempts, options.backoff_base, options.backoff_cap}) {}

    TransferId id = 0;
    FileRequest request;
    ProgressCallback on_progress;
    DoneCallback on_done;
    PartialFile file;
    SegmentPlanner planner;
    RetryPolicy retry;
    std::vector<Connection*> connections;
    bool single_stream = false; // the server ignored Range: one stream from byte 0
    bool paused = false;
    bool start_planned = false; // the first wave was judged for a slow first byte (engine.cpp)
    std::string redirect_url; // resolved CDN URL, reused for the other pieces
    Clock::time_point budget_until{}; // the host's budget lets no connection open before this
    Clock::time_point last_progress{};
    std::uint64_t reported = 0;
    std::uint64_t received = 0; // body bytes written since start (for the speed)
    util::SpeedMeter speed;
};

struct Connection {
    explicit Connection(LoopContext& loop_)
        : loop(&loop_), easy(nullptr, {&loop_.api}), headers(nullptr, {&loop_.api}) {}

    LoopContext* loop;
    Transfer* transfer = nullptr;
    bool rate_paused = false;
    hub::CurlEasy easy;
    hub::CurlSlist headers;
    char error_buffer[CURL_ERROR_SIZE] = {};
    std::uint64_t start = 0;   // first byte requested
    std::uint64_t req_end = 0; // one past the last byte requested
    std::uint64_t limit = 0;   // stop writing here (< req_end after a tail split)
    std::uint64_t pos = 0;     // next byte to receive; [pos - unwritten.size(), pos) is gathered
    std::vector<char> unwritten; // received, not yet written (at most k_write_batch)
    Clock::time_point gathered_since{}; // when unwritten last became non-empty
    std::uint64_t received = 0;
    std::uint64_t epoch = 0;
    Clock::time_point started;
    Clock::time_point last_activity; // last header/body byte (stall detection)
    std::optional<Clock::time_point> first_byte_at; // head of the final answer (ends the first-byte wait)
    util::SpeedMeter recent{k_speed_window, k_speed_window};
    std::optional<Clock::time_point> first_sample, last_sample;
    std::optional<double> recent_speed; // bytes/s over the last k_speed_window, once measured
    bool via_redirect_target = false;
    std::string budget_origin; // the host whose budget this request was counted in
    bool budget_told = false;  // its first response head went to the budget
    hub::ResponseHeaders response;
    bool checked = false;  // first body byte seen and the status judged
    bool is_error = false; // non-2xx body: collected into error_body, never written
    bool stop_ok = false;  // we stopped it on purpose after our last byte
    bool abort = false;    // discard: another stream took over, or pause/cancel
    std::optional<Error> fatal; // write failure (ENOSPC) or protocol violation
    std::string error_body;

    // Writes the gathered bytes into the partial (marking them done). ENOSPC -> DISK_FULL.
    Status write_out();
    // Samples `received` for the recent speed (called once per loop turn).
    void sample_speed(Clock::time_point now);
    // How the segment planner sees this connection.
    ActiveRange view(Clock::time_point now) const;
};

// True when one more connection would fetch bytes nobody has claimed yet (not a tail split):
// what the governor needs to know before it judges a window as "more were wanted".
bool wants_another_connection(const Transfer& t);

// How the first body byte's response is to be taken.
enum class BodyKind {
    ranged, // 206 with the Content-Range asked for
    whole,  // 200: Range ignored, the body is the whole file from byte 0
    error,  // any other status: the body is an error text
};
// 206 whose Content-Range does not start at `start` or does not name `size` -> NETWORK.
Result<BodyKind> judge_response(long status, const std::string& content_range, std::uint64_t start,
                                std::uint64_t size);

// Sets up `c.easy` to fetch [c.start, c.req_end) of `url` (credentials only to the request URL's
// origin) with the callbacks below.
void configure(Connection& c, const std::string& url, const EngineOptions& options);

// CURLOPT_HEADERFUNCTION / CURLOPT_WRITEFUNCTION, user data = the Connection.
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user);
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user);

// The transfer's progress now (and the bookkeeping that keeps it from going backwards).
Progress progress_of(Transfer& t, Clock::time_point at);

// One line per request at debug level (range, bytes, first-byte wait, body time, `open`
// connections): bench/timeline.py rebuilds a download's per-connection timeline from these.
void log_request(const Connection& c, bool failed, int open);

// After CURLMSG_DONE (or a stall, result CURLE_OPERATION_TIMEDOUT): nullopt when the connection
// wrote its whole range, else why it failed.
std::optional<Error> connection_outcome(const Connection& c, CURLcode result);

} // namespace tabagent::download
