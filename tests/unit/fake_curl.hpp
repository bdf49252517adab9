#pragma once
// A fake libcurl behind the engine's function table (hub::CurlApi), for download tests that
// need exact, repeatable numbers instead of a live server and real time:
//   - FakeClock is the engine's clock (EngineOptions::clock); only the test moves it.
//   - FakeCurl implements the easy/multi functions the engine calls. Each request (an easy handle
//     added to the multi) is answered from a scripted FakeFile: status line and headers to the
//     header callback, then the body to the write callback, at most `bytes_per_turn` bytes per
//     loop turn in pieces of CURLOPT_BUFFERSIZE, with faults (fail status, drop, stall, corrupt
//     byte, Range ignored). CURL_WRITEFUNC_PAUSE and curl_easy_pause behave as in libcurl 7.88
//     (the refused piece is handed over again on unpause, inside curl_easy_pause); the end of a
//     response is reported as CURLMSG_DONE through curl_multi_info_read.
//   - The engine's loop runs in lock step with the test: curl_multi_poll parks the engine thread
//     until the test calls turn(), so the test decides how many turns run and how much fake time
//     passes between them. Nothing depends on how fast the machine is.
// One FakeCurl at a time (curl_easy_init and curl_multi_init take no argument to find it by).
#include "core/hub/curl_library.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tabagent::test {

class FakeClock {
public:
    using Clock = std::chrono::steady_clock;
    Clock::time_point now() const { return Clock::time_point(Clock::duration(m_ticks.load())); }
    void advance(Clock::duration by) { m_ticks += by.count(); }
    std::function<Clock::time_point()> function() {
        return [this] { return now(); };
    }

private:
    std::atomic<Clock::rep> m_ticks{std::chrono::duration_cast<Clock::duration>(std::chrono::hours(1)).count()};
};

// What the fake server answers for one URL (the fields of the live test server's ServedFile).
struct FakeFile {
    std::string content;
    bool ignore_range = false;    // answer 200 with the whole body even when Range is asked
    int fail_status = 0;          // answer this status the next fail_times requests
    int fail_times = 0;
    std::string retry_after;      // Retry-After of those failures
    std::string x_error_code;     // X-Error-Code of those failures
    std::size_t drop_after = 0;   // end the response (CURLE_PARTIAL_FILE) after this many body bytes ...
    int drop_times = 0;           // ... for this many responses
    std::size_t corrupt_at = std::string::npos; // flip this byte of the file ...
    int corrupt_times = 0;        // ... in this many responses
    std::size_t stall_after = 0;  // send nothing more after this many body bytes ...
    int stall_times = 0;          // ... for this many responses
    std::size_t bytes_per_turn = 0; // body bytes per response per loop turn (0 = FakeCurl's default)
    std::size_t slow_only_at = std::string::npos; // when set, bytes_per_turn applies only to a range starting here
    std::chrono::milliseconds first_byte_delay{0}; // fake time from a request to its response head ...
    int first_byte_delay_times = -1;               // ... for this many responses (-1 = every one)
    std::vector<std::string> extra_headers;        // e.g. "Content-Encoding: gzip", on good answers
};

struct FakeRequest {
    std::string url;
    std::string range; // "bytes=a-b" as the Range header would say, empty without CURLOPT_RANGE
    std::string authorization;
    std::vector<std::string> headers;
    std::map<int, std::string> options; // every easy option set, as text (pointers as "set")
    int status = 0;
    std::uint64_t turn = 0; // loop turns run before the request was made
    std::chrono::steady_clock::time_point at;
};

class FakeCurl {
public:
    explicit FakeCurl(FakeClock& clock);
    ~FakeCurl();
    FakeCurl(const FakeCurl&) = delete;
    FakeCurl& operator=(const FakeCurl&) = delete;

    const hub::CurlApi& api() const { return m_api; }

    // Serves `file` at `url` (replaces an earlier one). Unknown URLs answer 404.
    void add_file(const std::string& url, FakeFile file);
    template <class F> void edit_file(const std::string& url, F&& edit) { edit(m_files.at(url)); }
    std::size_t default_bytes_per_turn = 256u << 10;

    // Lock step (test thread). wait_parked: until the engine thread waits in curl_multi_poll.
    // turn: lets it run exactly one more loop turn and waits until it is parked again.
    // free_run: polls return at once from now on (before destroying the engine).
    void wait_parked();
    void turn();
    void free_run();

    // What crossed the wire: body bytes handed to write callbacks and not refused with PAUSE.
    std::uint64_t bytes_sent() const { return m_bytes_sent; }
    const std::vector<FakeRequest>& requests() const { return m_requests; }
    std::size_t open_requests() const; // handles in the multi whose response has not ended
    std::uint64_t turns() const { return m_turns; }
    int wakeups() const { return m_wakeups.load(); }
    int last_poll_timeout_ms() const { return m_last_poll_timeout_ms; }

    // ---- called by the fake C functions (fake_curl.cpp) ----
    struct Easy;
    struct Multi;
    static FakeCurl& current();
    void add(Multi& multi, Easy& easy);
    void remove(Multi& multi, Easy& easy);
    void perform(Multi& multi, int* running);
    void poll(int timeout_ms);
    void wakeup() { ++m_wakeups; }
    void unpause(Easy& easy);

private:
    void deliver(Multi& multi, Easy& easy, std::size_t budget);
    void end(Multi& multi, Easy& easy, CURLcode result);
    std::size_t budget_for(const FakeFile& file, std::uint64_t range_start) const;

    FakeClock& m_clock;
    hub::CurlApi m_api;
    std::map<std::string, FakeFile> m_files;
    std::vector<FakeRequest> m_requests;
    std::uint64_t m_bytes_sent = 0;
    std::uint64_t m_turns = 0;
    int m_last_poll_timeout_ms = -1;
    std::atomic<int> m_wakeups{0};
    Multi* m_multi = nullptr;

    std::mutex m_turn_mutex;
    std::condition_variable m_turn_cv;
    bool m_parked = false;
    int m_permits = 0;
    bool m_free = false;
};

} // namespace tabagent::test
