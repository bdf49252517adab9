#pragma once
// The loopback file server behind `open_file_server` (DESIGN §3 "Why a loopback server", §7):
// Hub-style URLs /<token>/<repo>/resolve/<revision>/<path> answered from the cache, so that
// transformers.js can use it as env.remoteHost; a missing file is downloaded through the job
// manager first when the host is online (a local caching mirror). 127.0.0.1 only, random port,
// 128-bit token, Host header checked, CORS only for allowed extension origins, GET/HEAD only,
// single Range requests, file bodies sent with sendfile (TransmitFile) by the host's own server
// (host/http).
#include "core/error.hpp"
#include "host/http/server.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tabagent::service {
class ModelService;
struct FilePresence;
} // namespace tabagent::service
namespace tabagent::jobs {
class JobManager;
}

namespace tabagent::host {

struct FileServerInfo {
    std::string base_url; // http://127.0.0.1:PORT/<token>/
    int port = 0;
    std::string token;
};

class FileServer {
public:
    struct Options {
        std::vector<std::string> allowed_extension_ids; // without scheme
        bool offline = false;                            // never download missing files
        int threads = 8; // connections served at once; more wait in the kernel's backlog
        std::chrono::milliseconds download_timeout = std::chrono::minutes(10);
    };

    FileServer(service::ModelService& models, jobs::JobManager& jobs, Options options);
    ~FileServer(); // stop()
    FileServer(const FileServer&) = delete;
    FileServer& operator=(const FileServer&) = delete;

    // Binds 127.0.0.1 on a free port and starts serving. INTERNAL when it cannot bind.
    Result<FileServerInfo> start();
    // Stops accepting, wakes requests waiting for downloads, closes open connections and joins
    // every thread. Idempotent; returns within a few tens of milliseconds.
    void stop();
    const FileServerInfo& info() const { return m_info; }

private:
    void handle(const http::Request& req, http::Response& res);
    void serve_file(const http::Request& req, http::Response& res, const service::FilePresence& file);
    // Downloads repo/path through the job manager and waits for the job to end; the error maps to
    // the HTTP answer. Gives up when the client goes away, the server stops or the timeout passes.
    Status fetch_missing(const http::Request& req, const std::string& repo, const std::string& revision,
                         const std::string& path);

    service::ModelService& m_models;
    jobs::JobManager& m_jobs;
    Options m_options;
    FileServerInfo m_info;
    std::unique_ptr<http::Server> m_server;
    std::atomic<bool> m_stopping{false};
    std::mutex m_mutex; // guards the waits below
    std::condition_variable m_wake;
};

} // namespace tabagent::host
