#include "server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace tabagent::fakehub {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr const char* k_id_header = "X-Fakehub-Request-Id";
constexpr int k_listen_backlog = 512;

// Removes "br" from Accept-Encoding (httplib then picks gzip when accepted).
void drop_brotli(httplib::Request& req) {
    auto it = req.headers.find("Accept-Encoding");
    if (it == req.headers.end()) return;
    std::string kept;
    std::size_t start = 0;
    const std::string& value = it->second;
    while (start <= value.size()) {
        auto comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        std::string token = value.substr(start, comma - start);
        token.erase(0, token.find_first_not_of(' '));
        if (!token.empty() && token.rfind("br", 0) != 0) kept += (kept.empty() ? "" : ", ") + token;
        start = comma + 1;
    }
    it->second = kept;
}
} // namespace

void send_json(httplib::Response& res, const json& body, int status) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
    if (!code.empty()) res.set_header("X-Error-Code", code);
    res.set_header("X-Error-Message", message);
    send_json(res, {{"error", message}}, status);
}

HubServer::HubServer(Options options)
    : m_opt(std::move(options)), m_store(m_opt.root), m_bridge(m_opt.bridge) {
    // One thread per live connection in httplib: size the pool for many keep-alive clients.
    const auto threads = static_cast<std::size_t>(std::max(m_opt.threads, 8));
    // httplib takes ownership of the queue it gets from this factory and deletes it.
    m_http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    m_http.set_keep_alive_max_count(1'000'000);
    m_http.set_keep_alive_timeout(m_opt.keep_alive_seconds);
    m_http.set_read_timeout(30);
    m_http.set_write_timeout(30);
    m_http.set_tcp_nodelay(true);

    m_http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        // (Accept-Encoding is logged: issue 13 wants identity on every file request.)
        // We answer Range ourselves (206/416/ignored-by-fault); httplib would slice the body again.
        // The Request object is not const in httplib itself, only in this handler's signature.
        const_cast<httplib::Request&>(req).ranges.clear();
        if (req.path.rfind("/__fakehub/", 0) == 0) return httplib::Server::HandlerResponse::Unhandled;
        // httplib compresses with brotli at its slowest quality when a client accepts "br": 200 ms
        // for a 5 000-file listing page on a busy box, the fake hub then being the slow side of a
        // listing. Metadata answers are gzip'd instead (what clients accept anyway).
        if (req.path.rfind("/api/", 0) == 0) drop_brotli(const_cast<httplib::Request&>(req));
        const auto q = req.target.find('?');
        auto rec = m_log.begin(req.method, req.path, q == std::string::npos ? "" : req.target.substr(q + 1),
                               req.get_header_value("Range"), req.has_header("Authorization"));
        if (req.has_header("Accept-Encoding")) rec->accept_encoding = req.get_header_value("Accept-Encoding");
        res.set_header(k_id_header, std::to_string(rec->id));
        if (!rate_limit(req, res, *rec)) return httplib::Server::HandlerResponse::Handled;
        return httplib::Server::HandlerResponse::Unhandled;
    });
    m_http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        if (req.path == "/__fakehub/shutdown" && res.status == 200 && m_on_shutdown) m_on_shutdown();
        if (!res.has_header(k_id_header)) return;
        const auto id = std::stoull(res.get_header_value(k_id_header));
        json e = m_log.finish(id, res.status, req.method == "HEAD" ? 0 : res.body.size());
        if (m_opt.log_requests && !e.is_null())
            std::fprintf(stderr, "fakehub: %s %s %d %llu bytes%s\n", req.method.c_str(), req.target.c_str(),
                         res.status, static_cast<unsigned long long>(e["bytes_sent"].get<std::uint64_t>()),
                         e["fault"].is_null() ? "" : (" fault=" + e["fault"].get<std::string>()).c_str());
    });
    install_routes();
}

void HubServer::install_routes() {
    install_control_routes();
    install_api_routes();
    install_file_routes();
    auto not_found = [](const httplib::Request&, httplib::Response& res) { send_error(res, 404, "", "Not Found"); };
    m_http.Get(".*", not_found);
    m_http.Post(".*", not_found);
    m_http.Put(".*", not_found);
    m_http.Delete(".*", not_found);
}

int HubServer::bind() {
    int port = m_opt.port;
    if (port == 0) port = m_http.bind_to_any_port(m_opt.host);
    else if (!m_http.bind_to_port(m_opt.host, port)) port = -1;
    if (port <= 0) return -1;
    // httplib listens with a backlog of 5; a benchmark opening 32 connections at once would see
    // SYN retries. listen() again on a listening socket just updates the backlog.
    ::listen(m_http.listen_socket(), k_listen_backlog);
    m_port = port;
    m_base_url = "http://" + m_opt.host + ":" + std::to_string(port);
    if (m_opt.cdn_base.empty()) m_opt.cdn_base = "http://localhost:" + std::to_string(port);
    while (!m_opt.cdn_base.empty() && m_opt.cdn_base.back() == '/') m_opt.cdn_base.pop_back();
    return port;
}

bool HubServer::run() { return m_http.listen_after_bind(); }

void HubServer::stop() {
    m_stop.request_stop();
    m_http.stop();
    close_client_connections();
}

void HubServer::close_client_connections() const {
    // httplib keeps idle keep-alive connections until their timeout even when stopping; shutting
    // our accepted sockets down (found by their local port) lets every connection thread end now.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
        int fd = -1;
        try {
            fd = std::stoi(entry.path().filename().string());
        } catch (const std::exception&) {
            continue;
        }
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) continue;
        int port = -1;
        if (addr.ss_family == AF_INET) port = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
        else if (addr.ss_family == AF_INET6) port = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
        if (port == m_port) ::shutdown(fd, SHUT_RDWR);
    }
}

std::shared_ptr<RequestRecord> HubServer::record_of(const httplib::Response& res) {
    if (!res.has_header(k_id_header)) return std::make_shared<RequestRecord>();
    auto rec = m_log.find(std::stoull(res.get_header_value(k_id_header)));
    return rec ? rec : std::make_shared<RequestRecord>();
}

std::string HubServer::public_base(const httplib::Request& req) const {
    if (req.has_header("Host")) return "http://" + req.get_header_value("Host");
    return m_base_url;
}

bool HubServer::token_accepted(const httplib::Request& req) const {
    const std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view k_bearer = "Bearer ";
    if (auth.rfind(k_bearer, 0) != 0) return false;
    const std::string token = auth.substr(k_bearer.size());
    return std::find(m_opt.tokens.begin(), m_opt.tokens.end(), token) != m_opt.tokens.end();
}

bool HubServer::rate_limit(const httplib::Request& req, httplib::Response& res, RequestRecord& rec) {
    // The endpoint the route will name, known here from the path alone.
    const std::string endpoint = req.path.rfind("/api/", 0) == 0             ? "api"
                                 : req.path.find("/resolve/") != std::string::npos ? "resolve"
                                 : req.path.rfind("/cdn/", 0) == 0           ? "cdn"
                                                                             : "";
    const auto decision = m_rate.arrive(endpoint);
    if (!decision) return true;
    res.set_header("RateLimit-Policy", "\"fixed window\";\"api\";q=" + std::to_string(decision->budget) +
                                           ";w=" + std::to_string(decision->window_seconds));
    res.set_header("RateLimit", "\"api\";r=" + std::to_string(decision->remaining) +
                                    ";t=" + std::to_string(decision->reset_seconds));
    if (!decision->refused) return true;
    rec.endpoint = endpoint;
    rec.fault = "rate_limit";
    res.set_header("Retry-After", std::to_string(decision->reset_seconds));
    send_error(res, 429, "", "You have been rate-limited; you can retry this action in about " +
                                 std::to_string(decision->reset_seconds) + " seconds.");
    return false;
}

bool HubServer::request_faults(const httplib::Request& req, httplib::Response& res, const std::string& endpoint,
                               const std::string& match_text, const std::string& repo_id,
                               const std::string& file_path, std::optional<FaultRule>& redirect_fault) {
    auto rule = m_faults.take(FaultStage::request, endpoint, req.method, match_text);
    if (!rule) return true;
    record_of(res)->fault = rule->to_json()["kind"];
    switch (rule->kind) {
    case FaultKind::status:
        if (rule->retry_after >= 0) {
            const auto secs = static_cast<long long>(rule->retry_after + 0.999);
            res.set_header("Retry-After", std::to_string(secs));
        }
        send_error(res, rule->status, rule->error_code, "injected fault: status " + std::to_string(rule->status));
        return false;
    case FaultKind::first_byte_delay:
        // A Xet bridge rebuilding the file: nothing, not even the status line, until it is ready.
        m_stop.sleep_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(rule->delay_ms));
        return true;
    case FaultKind::change_content: {
        const std::string repo = rule->repo.empty() ? repo_id : rule->repo;
        const std::string file = rule->file.empty() ? file_path : rule->file;
        if (!repo.empty() && !file.empty()) m_store.change_content(repo, file);
        return true;
    }
    default: redirect_fault = rule; return true;
    }
}

std::shared_ptr<const RepoView> HubServer::open_repo(const httplib::Request& req, httplib::Response& res,
                                                     const std::string& repo_id, const std::string& rev) {
    Lookup found = Lookup::no_repo;
    auto view = m_store.view(repo_id, rev, found);
    if (!view || found == Lookup::no_repo) {
        send_error(res, 404, "RepoNotFound", "Repository not found");
        return nullptr;
    }
    if (view->is_private && !token_accepted(req)) {
        // The Hub hides private repos: 401 to anonymous callers, 404 to other users.
        send_error(res, req.has_header("Authorization") ? 404 : 401, "RepoNotFound", "Repository not found");
        return nullptr;
    }
    if (found == Lookup::no_revision) {
        send_error(res, 404, "RevisionNotFound", "Invalid rev id: " + rev);
        return nullptr;
    }
    return view;
}

bool HubServer::check_gate(const httplib::Request& req, httplib::Response& res, const RepoView& view) {
    if (!is_gated(view.gated) || token_accepted(req)) return true;
    const bool anonymous = !req.has_header("Authorization");
    send_error(res, anonymous ? 401 : 403, "GatedRepo",
               anonymous ? "Access to model " + view.id + " is restricted. You must be authenticated to access it."
                         : "Access to model " + view.id + " is restricted and you are not in the authorized list.");
    return false;
}

} // namespace tabagent::fakehub
