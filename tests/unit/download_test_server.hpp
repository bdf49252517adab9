#pragma once
// In-process HTTP server for the hub_* and download_* unit tests (cpp-httplib on 127.0.0.1, a free
// port). Serves registered byte strings with Range/206 and injects faults per response. Also
// reachable as http://localhost:<port> so that redirects can change the host name.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tabagent::test {

struct ServedFile {
    std::string content;          // moved into the server by add_file
    bool ignore_range = false;    // answer 200 with the whole body even when Range is asked
    int fail_status = 0;          // answer this status (e.g. 429) the next fail_times requests
    int fail_times = 0;
    std::string retry_after;      // Retry-After of those failures
    std::string x_error_code;     // X-Error-Code of those failures
    std::size_t drop_after = 0;   // close the connection after this many body bytes ...
    int drop_times = 0;           // ... for this many responses
    std::size_t corrupt_at = std::string::npos; // flip this byte ...
    int corrupt_times = 0;        // ... in this many responses
    std::size_t stall_after = 0;  // stop sending (connection kept open) after this many bytes ...
    int stall_times = 0;          // ... for this many responses
    std::size_t bytes_per_second = 0; // per-response rate cap (0 = none)
    std::size_t slow_only_at = std::string::npos; // when set, the cap applies only to a range starting here
};

inline ServedFile served(std::string content) {
    ServedFile file;
    file.content = std::move(content);
    return file;
}

struct RequestRecord {
    std::string path;
    std::string host;
    std::string range;
    std::string authorization;
    int status = 0;
};

class TestServer {
public:
    TestServer() {
        m_server.new_task_queue = [] { return new httplib::ThreadPool(48); };
        m_server.set_keep_alive_max_count(1000);
        m_server.Get(R"(/files/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
            serve(req, res);
        });
        m_server.Get(R"(/redirect/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
            record(req, 302);
            res.status = 302;
            res.set_header("Location", alt_base() + "/files/" + req.matches[1].str());
        });
        m_port = m_server.bind_to_any_port("127.0.0.1");
        m_thread = std::jthread([this] { m_server.listen_after_bind(); });
        // httplib 0.11 has no readiness event; the socket already listens, this only avoids a
        // stop() before the accept loop started.
        while (!m_server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~TestServer() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        m_server.stop();
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    int port() const { return m_port; }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    std::string alt_base() const { return "http://localhost:" + std::to_string(m_port); }
    std::string url(const std::string& name) const { return base() + "/files/" + name; }
    httplib::Server& raw() { return m_server; }

    void add_file(const std::string& name, ServedFile file) {
        std::lock_guard lock(m_mutex);
        m_contents[name] = std::make_shared<const std::string>(std::move(file.content));
        file.content.clear();
        m_files[name] = std::move(file);
    }
    // Replaces the bytes served under `name` (content changed upstream).
    void set_content(const std::string& name, std::string content) {
        std::lock_guard lock(m_mutex);
        m_contents[name] = std::make_shared<const std::string>(std::move(content));
    }
    template <class F> void edit_file(const std::string& name, F&& edit) {
        std::lock_guard lock(m_mutex);
        edit(m_files.at(name));
    }
    // Ends stalls early (they also end when the server stops).
    void release_stalls() {
        {
            std::lock_guard lock(m_mutex);
            ++m_release_generation;
        }
        m_cv.notify_all();
    }
    std::uint64_t bytes_sent() const { return m_bytes_sent.load(); }
    std::vector<RequestRecord> requests() const {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }
    void record(const httplib::Request& req, int status) {
        std::lock_guard lock(m_mutex);
        m_requests.push_back({req.path, req.get_header_value("Host"), req.get_header_value("Range"),
                              req.get_header_value("Authorization"), status});
    }

private:
    struct ResponsePlan {
        std::size_t drop_after = 0;
        std::size_t corrupt_at = std::string::npos;
        std::size_t stall_after = 0;
        std::size_t rate = 0;
        std::size_t sent = 0;
    };

    void serve(const httplib::Request& req, httplib::Response& res) {
        const std::string name = req.matches[1].str();
        std::unique_lock lock(m_mutex);
        auto it = m_files.find(name);
        if (it == m_files.end()) {
            lock.unlock();
            record(req, 404);
            res.status = 404;
            res.set_header("X-Error-Code", "EntryNotFound");
            return;
        }
        ServedFile& file = it->second;
        if (file.fail_times > 0) {
            --file.fail_times;
            const int status = file.fail_status;
            if (!file.retry_after.empty()) res.set_header("Retry-After", file.retry_after);
            if (!file.x_error_code.empty()) res.set_header("X-Error-Code", file.x_error_code);
            lock.unlock();
            record(req, status);
            res.status = status;
            res.set_content("error", "text/plain");
            return;
        }
        auto plan = std::make_shared<ResponsePlan>();
        if (file.drop_times > 0) {
            --file.drop_times;
            plan->drop_after = file.drop_after;
        }
        if (file.corrupt_times > 0) {
            --file.corrupt_times;
            plan->corrupt_at = file.corrupt_at;
        }
        if (file.stall_times > 0) {
            --file.stall_times;
            plan->stall_after = file.stall_after;
        }
        std::size_t range_start = 0;
        if (!req.ranges.empty() && req.ranges[0].first > 0)
            range_start = static_cast<std::size_t>(req.ranges[0].first);
        if (file.ignore_range) {
            // The test plays a server without Range support.
            const_cast<httplib::Request&>(req).ranges.clear();
            range_start = 0;
        }
        if (file.bytes_per_second &&
            (file.slow_only_at == std::string::npos || range_start == file.slow_only_at))
            plan->rate = file.bytes_per_second;
        auto content = m_contents.at(name);
        lock.unlock();
        record(req, file.ignore_range || req.ranges.empty() ? 200 : 206);
        res.set_header("ETag", "\"x\"");
        res.set_content_provider(
            content->size(), "application/octet-stream",
            [this, content, plan](size_t offset, size_t length, httplib::DataSink& sink) {
                return provide(*content, *plan, offset, length, sink);
            });
    }

    bool provide(const std::string& content, ResponsePlan& plan, size_t offset, size_t length,
                 httplib::DataSink& sink) {
        size_t chunk = std::min<size_t>(length, 64 * 1024);
        if (plan.rate) chunk = std::min<size_t>(chunk, std::max<size_t>(plan.rate / 20, 1024));
        if (plan.drop_after) {
            if (plan.sent >= plan.drop_after) return false;
            chunk = std::min(chunk, plan.drop_after - plan.sent);
        }
        if (plan.stall_after) {
            if (plan.sent >= plan.stall_after) {
                std::unique_lock lock(m_mutex);
                const auto generation = m_release_generation;
                m_cv.wait_for(lock, std::chrono::seconds(20),
                              [&] { return m_stopping || m_release_generation != generation; });
                return false;
            }
            chunk = std::min(chunk, plan.stall_after - plan.sent);
        }
        std::string piece = content.substr(offset, chunk);
        if (plan.corrupt_at >= offset && plan.corrupt_at < offset + chunk)
            piece[plan.corrupt_at - offset] = static_cast<char>(piece[plan.corrupt_at - offset] ^ 0x5a);
        if (!sink.write(piece.data(), piece.size())) return false;
        m_bytes_sent += piece.size();
        plan.sent += piece.size();
        if (plan.rate) {
            std::unique_lock lock(m_mutex);
            const auto pause = std::chrono::microseconds(piece.size() * 1'000'000 / plan.rate);
            if (m_cv.wait_for(lock, pause, [&] { return m_stopping; })) return false;
        }
        return true;
    }

    httplib::Server m_server;
    int m_port = 0;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopping = false;
    std::uint64_t m_release_generation = 0;
    std::map<std::string, ServedFile> m_files;
    std::map<std::string, std::shared_ptr<const std::string>> m_contents;
    std::vector<RequestRecord> m_requests;
    std::atomic<std::uint64_t> m_bytes_sent{0};
    std::jthread m_thread;
};

// Deterministic pseudo-random bytes (xorshift), so tests need no fixtures on disk.
inline std::string make_content(std::size_t size, std::uint64_t seed = 1) {
    std::string out(size, '\0');
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (std::size_t i = 0; i < size; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = static_cast<char>(x & 0xff);
    }
    return out;
}

} // namespace tabagent::test
