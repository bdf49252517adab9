#pragma once
// Log of the requests the fake hub answered (control requests excluded), for tests to assert on.
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::fakehub {

struct RequestRecord {
    std::uint64_t id = 0;
    std::string method, path, query, range, endpoint, fault;
    std::optional<std::string> accept_encoding; // the request's Accept-Encoding, when it sent one
    bool authorization_present = false;
    double time = 0; // seconds since the epoch at arrival
    std::chrono::steady_clock::time_point start;
    std::atomic<std::uint64_t> body_bytes{0}; // bytes written by content providers
    // Seconds since the epoch just before the latest body write began (0: none yet). Taken before
    // the write, it precedes the client's receipt of those bytes: a request the client sends after
    // this one ended always arrives later (tests/integration/test_engine_parallel.py relies on it).
    std::atomic<double> last_write{0};
    void mark_write() {
        last_write = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    }
};

class RequestLog {
public:
    // Registers an in-flight request; the id travels in the X-Fakehub-Request-Id response header.
    std::shared_ptr<RequestRecord> begin(std::string method, std::string path, std::string query,
                                         std::string range, bool auth);
    std::shared_ptr<RequestRecord> find(std::uint64_t id);
    // Completes a request: appends its entry; `extra_bytes` is a plain (non-provider) body size.
    nlohmann::json finish(std::uint64_t id, int status, std::uint64_t extra_bytes);
    // Entries so far, after waiting up to `wait` for in-flight requests to finish (a client may
    // read the last byte before the server thread logs the request).
    nlohmann::json entries(std::chrono::milliseconds wait);
    nlohmann::json stats();
    void clear(); // entries, counters and the requests still in flight (they are never logged)
    void add_sent(std::uint64_t n) { m_bytes_total += n; }

private:
    std::mutex m_mutex;
    std::condition_variable m_idle;
    std::map<std::uint64_t, std::shared_ptr<RequestRecord>> m_in_flight;
    std::vector<nlohmann::json> m_entries;
    std::uint64_t m_next_id = 1;
    std::uint64_t m_requests = 0;
    std::atomic<std::uint64_t> m_bytes_total{0};
};

} // namespace tabagent::fakehub
