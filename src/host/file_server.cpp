#include "host/file_server.hpp"

#include "core/jobs/job_manager.hpp"
#include "core/service/service.hpp"
#include "core/platform/net.hpp"
#include "host/file_server_rules.hpp"
#include "host/origin.hpp"

#include <spdlog/spdlog.h>

namespace tabagent::host {
namespace {

constexpr const char* k_exposed_headers = "Content-Length, Content-Range, ETag, Accept-Ranges, X-Repo-Commit";
constexpr auto k_wait_step = std::chrono::milliseconds(25);

// How a failure reads over HTTP.
int http_status_for(const Error& e) {
    switch (e.code) {
    case ErrorCode::not_found:
    case ErrorCode::offline: return 404;
    case ErrorCode::auth_required: return 401;
    case ErrorCode::bad_request:
    case ErrorCode::invalid_repo:
    case ErrorCode::invalid_path: return 400;
    case ErrorCode::internal: return 500;
    default: return 502; // the Hub or the download failed
    }
}

// A small JSON body so that a developer looking at the network panel sees why.
void answer(http::Response& res, int status, const Error* error = nullptr) {
    res.status = status;
    if (error == nullptr) return;
    nlohmann::json body = {{"error", {{"code", to_string(error->code)}, {"message", error->message}}}};
    if (error->details.contains("knownMissing")) body["error"]["knownMissing"] = true; // from a .no_exist marker
    res.set_body(body.dump(), "application/json");
}

} // namespace

FileServer::FileServer(service::ModelService& models, jobs::JobManager& jobs, Options options)
    : m_models(models), m_jobs(jobs), m_options(std::move(options)) {}

FileServer::~FileServer() { stop(); }

Result<FileServerInfo> FileServer::start() {
    auto token = random_token();
    if (!token) return tl::unexpected(token.error());
    http::Server::Options options;
    options.max_connections = static_cast<std::size_t>(std::max(1, m_options.threads));
    options.limits.idle_timeout = std::chrono::seconds(5);
    options.limits.read_timeout = std::chrono::seconds(10);
    options.limits.write_timeout = std::chrono::seconds(30);
    options.limits.max_requests = 1000; // a model is a few dozen files: one connection can fetch them all
    // Every request, whatever its method, goes through one handler so that no route can skip a check.
    m_server = std::make_unique<http::Server>([this](const http::Request& req, http::Response& res) { handle(req, res); },
                                              options);
    auto port = m_server->bind();
    if (!port) return tl::unexpected(port.error());
    // Written before start(): the worker threads (and so the handler) see it complete.
    m_info = FileServerInfo{"http://127.0.0.1:" + std::to_string(*port) + "/" + *token + "/", *port, *token};
    if (auto started = m_server->start(); !started) return tl::unexpected(started.error());
    spdlog::info("file server listening on 127.0.0.1:{}", *port);
    return m_info;
}

void FileServer::stop() {
    if (!m_server || m_stopping.exchange(true)) return;
    {
        std::lock_guard lock(m_mutex);
        m_wake.notify_all(); // requests waiting for a download give up first, so that the join is quick
    }
    m_server->stop();
    spdlog::info("file server on port {} stopped", m_info.port);
}

void FileServer::handle(const http::Request& req, http::Response& res) {
    // DNS rebinding: a page on evil.com resolving to 127.0.0.1 still sends Host: evil.com.
    if (!host_header_allowed(req.header("Host").value_or(""), m_info.port)) return answer(res, 403);
    if (auto origin = req.header("Origin")) {
        if (!origin_allowed(*origin, OriginSource::http_header, m_options.allowed_extension_ids)) return answer(res, 403);
        res.set_header("Access-Control-Allow-Origin", std::string(*origin));
        res.set_header("Vary", "Origin");
        res.set_header("Access-Control-Expose-Headers", k_exposed_headers);
    }
    if (!target_has_token(req.target(), m_info.token)) return answer(res, 404);
    if (req.method() == "OPTIONS") {
        res.set_header("Allow", "GET, HEAD, OPTIONS");
        if (req.has_header("Origin")) {
            res.set_header("Access-Control-Allow-Methods", "GET, HEAD");
            res.set_header("Access-Control-Allow-Headers", "Range");
            res.set_header("Access-Control-Max-Age", "600");
            if (req.has_header("Access-Control-Request-Private-Network"))
                res.set_header("Access-Control-Allow-Private-Network", "true");
        }
        return answer(res, 204);
    }
    if (req.method() != "GET" && req.method() != "HEAD") {
        res.set_header("Allow", "GET, HEAD, OPTIONS");
        return answer(res, 405);
    }

    auto target = parse_hub_target(req.target(), m_info.token);
    if (!target) return answer(res, http_status_for(target.error()), &target.error());
    auto presence = m_models.has_file(target->repo, target->path, target->revision);
    if (!presence) return answer(res, http_status_for(presence.error()), &presence.error());
    if (!presence->exists) {
        Error missing{ErrorCode::not_found, "file is not in the cache", {}};
        // transformers.js asks for optional files (tokenizer, processor configs) on every load:
        // a .no_exist marker for the revision's commit answers without a job or the network.
        if (presence->known_missing) {
            Error known{ErrorCode::not_found, "the Hub has no such file (remembered in the cache)",
                        {{"knownMissing", true}}};
            return answer(res, 404, &known);
        }
        if (m_options.offline) return answer(res, 404, &missing);
        if (auto fetched = fetch_missing(req, target->repo, target->revision, target->path); !fetched) {
            const Error& e = fetched.error();
            int status = e.code == ErrorCode::cancelled ? 503
                         : e.details.contains("timeout") ? 504
                                                         : http_status_for(e);
            return answer(res, status, &e);
        }
        presence = m_models.has_file(target->repo, target->path, target->revision);
        if (!presence || !presence->exists) return answer(res, 404, &missing);
    }
    serve_file(req, res, *presence);
}

void FileServer::serve_file(const http::Request& req, http::Response& res, const service::FilePresence& file) {
    // The blob as a regular file, never through a link (the Store already refused links leaving the
    // repo; opening without following closes the window between its check and this open).
    // TODO(seam-fs): platform/file.hpp's File once it lands (open_file_to_send is net.hpp's stand-in).
    auto blob = platform::open_file_to_send(file.blob_path);
    if (!blob) {
        Error gone{ErrorCode::not_found, "file is not in the cache", {}};
        return answer(res, 404, &gone);
    }
    res.set_header("Accept-Ranges", "bytes");
    if (!file.etag.empty()) res.set_header("ETag", "\"" + file.etag + "\"");
    if (!file.commit.empty()) res.set_header("X-Repo-Commit", file.commit);
    const std::string type(content_type_for(file.path.filename().string()));
    const std::uint64_t size = blob->size();

    RangeAnswer range{RangeAnswer::Kind::whole, 0, size};
    if (auto header = req.header("Range")) range = answer_range(*header, size);
    if (range.kind == RangeAnswer::Kind::unsatisfiable) {
        res.set_header("Content-Range", "bytes */" + std::to_string(size));
        return answer(res, 416);
    }
    res.status = 200;
    if (range.kind == RangeAnswer::Kind::partial) {
        res.status = 206;
        res.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                            std::to_string(range.first + range.length - 1) + "/" + std::to_string(size));
    }
    res.set_header("Content-Type", type);
    // The server sends this range with sendfile (TransmitFile) straight from the page cache: no chunk
    // of the file is ever held in this process (DESIGN §7), whatever its size.
    res.set_file(std::move(*blob), range.first, range.length);
}

Status FileServer::fetch_missing(const http::Request& req, const std::string& repo, const std::string& revision,
                                 const std::string& path) {
    jobs::JobSpec spec;
    spec.kind = jobs::JobKind::download_files;
    spec.repo = repo;
    spec.revision = revision;
    spec.files = {path};
    if (auto st = m_models.validate_job(spec); !st) return st;
    auto submitted = m_jobs.submit(spec, nullptr);
    if (!submitted.joined) m_jobs.start(submitted.job_id);
    spdlog::info("file server: fetching {}/{} ({}) as job {}", repo, path, revision, submitted.job_id);

    const auto deadline = std::chrono::steady_clock::now() + m_options.download_timeout;
    while (true) {
        auto job = m_jobs.get(submitted.job_id);
        if (!job) return fail(ErrorCode::internal, "the download job disappeared");
        if (job->status == jobs::JobStatus::done) return {};
        if (jobs::is_terminal(job->status))
            return tl::unexpected(job->error.value_or(Error{ErrorCode::network, "the download did not finish"}));
        if (m_stopping) return fail(ErrorCode::cancelled, "the host is exiting");
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(ErrorCode::network, "the download is taking too long; it continues in the background",
                        {{"timeout", true}, {"jobId", submitted.job_id}});
        if (req.client_gone()) return fail(ErrorCode::cancelled, "the client went away");
        std::unique_lock lock(m_mutex);
        m_wake.wait_for(lock, k_wait_step, [this] { return m_stopping.load(); });
    }
}

} // namespace tabagent::host
