#pragma once
// In-process HTTP server for the hub_* and download_* unit tests (cpp-httplib on 127.0.0.1, a free
// port). Serves registered byte strings with Range/206, can ignore Range or corrupt a byte. Also
// reachable as http://localhost:<port> so that redirects can change the host name. Faults that
// depend on time (stalls, rate caps, retries) are scripted on the fake transport instead
// (fake_curl.hpp), where the download tests can count them exactly.
#include <httplib.h>

#include <atomic>
#include <chrono>
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
    std::size_t corrupt_at = std::string::npos; // flip this byte ...
    int corrupt_times = 0;        // ... in this many responses
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
    ~TestServer() { m_server.stop(); }
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
        std::size_t corrupt_at = std::string::npos;
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
        auto plan = std::make_shared<ResponsePlan>();
        if (file.corrupt_times > 0) {
            --file.corrupt_times;
            plan->corrupt_at = file.corrupt_at;
        }
        if (file.ignore_range) {
            // The test plays a server without Range support.
            const_cast<httplib::Request&>(req).ranges.clear();
        }
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

    bool provide(const std::string& content, const ResponsePlan& plan, size_t offset, size_t length,
                 httplib::DataSink& sink) {
        const size_t chunk = std::min<size_t>(length, 64 * 1024);
        std::string piece = content.substr(offset, chunk);
        if (plan.corrupt_at >= offset && plan.corrupt_at < offset + chunk)
            piece[plan.corrupt_at - offset] = static_cast<char>(piece[plan.corrupt_at - offset] ^ 0x5a);
        if (!sink.write(piece.data(), piece.size())) return false;
        m_bytes_sent += piece.size();
        return true;
    }

    httplib::Server m_server;
    int m_port = 0;
    mutable std::mutex m_mutex;
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
