#pragma once
// The fake Hugging Face Hub: Hub API + resolve + "CDN" + a control API under /__fakehub/.
#include "bridge.hpp"
#include "faults.hpp"
#include "rate_limit.hpp"
#include "repo_store.hpp"
#include "request_log.hpp"
#include "stop_signal.hpp"
#include "tree_cache.hpp"

#include <httplib.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace tabagent::fakehub {

struct Options {
    std::filesystem::path root;
    std::string host = "127.0.0.1";
    int port = 0;
    std::filesystem::path port_file;
    int page_size = 50;
    std::vector<std::string> tokens;
    double rate_per_connection = 0;
    std::string cdn_base; // default http://localhost:<port>
    bool log_requests = false;
    int threads = 128;
    int keep_alive_seconds = 5;
    BridgeSettings bridge; // Xet bridge behaviour (bridge.hpp); POST /__fakehub/mode changes it
};

class HubServer {
public:
    explicit HubServer(Options options);
    // Binds the listening socket; returns the port or -1.
    int bind();
    // Serves until stop(); returns after every connection thread has ended.
    bool run();
    // Thread-safe; wakes sleepers and closes idle keep-alive connections so run() returns soon.
    void stop();
    const std::string& base_url() const { return m_base_url; }
    // Called after the response to POST /__fakehub/shutdown has been written.
    void on_shutdown(std::function<void()> callback) { m_on_shutdown = std::move(callback); }

private:
    // httplib keeps its listening socket protected; we reach it only to raise the listen backlog.
    class Http : public httplib::Server {
    public:
        int listen_socket() const { return svr_sock_; }
    };

    void install_routes();
    void install_api_routes();
    void install_file_routes();
    void install_control_routes();

    // Common gatekeeping: returns false after writing the error response.
    // Applies a request-stage fault: false after answering with an injected status; a redirect fault
    // is handed back; change_content is applied to `repo_id`/`file_path` (or the rule's own target).
    bool request_faults(const httplib::Request& req, httplib::Response& res, const std::string& endpoint,
                        const std::string& match_text, const std::string& repo_id, const std::string& file_path,
                        std::optional<FaultRule>& redirect_fault);
    // The repo's view at `rev`, or null after writing the error response (unknown repo or
    // revision, private repo without an accepted token).
    std::shared_ptr<const RepoView> open_repo(const httplib::Request& req, httplib::Response& res,
                                              const std::string& repo_id, const std::string& rev);
    bool check_gate(const httplib::Request& req, httplib::Response& res, const RepoView& view);
    bool token_accepted(const httplib::Request& req) const;
    std::shared_ptr<RequestRecord> record_of(const httplib::Response& res);
    std::string public_base(const httplib::Request& req) const;
    void close_client_connections() const;
    // Rate-limit mode at a request's arrival: adds the RateLimit headers; false after answering 429.
    bool rate_limit(const httplib::Request& req, httplib::Response& res, RequestRecord& rec);

    Options m_opt;
    Http m_http;
    RepoStore m_store;
    FaultBook m_faults;
    RateLimiter m_rate; // rate-limit mode (rate_limit.hpp), set through /__fakehub/ratelimit
    TreeCache m_trees;  // tree entries between the pages of a listing
    RequestLog m_log;
    BridgeMode m_bridge;
    StopSignal m_stop;
    std::string m_base_url;
    int m_port = -1;
    std::function<void()> m_on_shutdown;
};

// {"error": message} with X-Error-Code (and X-Error-Message, as the Hub sends both).
void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message);
void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200);

} // namespace tabagent::fakehub
