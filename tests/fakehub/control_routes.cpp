// The control API under /__fakehub/: fault rules (and releasing holds), request log, stats, reset,
// content change, shutdown.
#include "server.hpp"

namespace tabagent::fakehub {

using nlohmann::json;

namespace {

bool parse_body(const httplib::Request& req, httplib::Response& res, json& out) {
    out = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (out.is_discarded() || !out.is_object()) {
        send_error(res, 400, "", "body must be a JSON object");
        return false;
    }
    return true;
}

} // namespace

void HubServer::install_control_routes() {
    m_http.Get("/__fakehub/health", [](const httplib::Request&, httplib::Response& res) {
        send_json(res, {{"ok", true}});
    });
    m_http.Post("/__fakehub/faults", [this](const httplib::Request& req, httplib::Response& res) {
        json body;
        if (!parse_body(req, res, body)) return;
        try {
            send_json(res, {{"id", m_faults.add(body)}});
        } catch (const std::invalid_argument& e) {
            send_error(res, 400, "", e.what());
        }
    });
    m_http.Get("/__fakehub/faults", [this](const httplib::Request&, httplib::Response& res) {
        send_json(res, m_faults.list());
    });
    m_http.Delete("/__fakehub/faults", [this](const httplib::Request&, httplib::Response& res) {
        send_json(res, {{"cleared", m_faults.clear()}});
    });
    m_http.Delete(R"(/__fakehub/faults/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
        if (!m_faults.remove(std::stoi(req.matches[1].str()))) return send_error(res, 404, "", "no such rule");
        send_json(res, {{"removed", true}});
    });
    m_http.Post(R"(/__fakehub/faults/(\d+)/release)", [this](const httplib::Request& req, httplib::Response& res) {
        json body;
        if (!parse_body(req, res, body)) return;
        std::optional<std::uint64_t> bytes;
        if (body.contains("bytes")) {
            if (!body["bytes"].is_number_unsigned()) return send_error(res, 400, "", "bytes must be a count");
            bytes = body["bytes"].get<std::uint64_t>();
        }
        if (!m_faults.release(std::stoi(req.matches[1].str()), bytes))
            return send_error(res, 404, "", "no such hold rule");
        send_json(res, {{"released", !bytes.has_value()}});
    });
    m_http.Get("/__fakehub/requests", [this](const httplib::Request& req, httplib::Response& res) {
        int wait_ms = 2000;
        if (req.has_param("wait_ms")) wait_ms = std::atoi(req.get_param_value("wait_ms").c_str());
        send_json(res, m_log.entries(std::chrono::milliseconds(std::max(wait_ms, 0))));
    });
    m_http.Get("/__fakehub/stats", [this](const httplib::Request&, httplib::Response& res) {
        send_json(res, m_log.stats());
    });
    m_http.Post("/__fakehub/ratelimit", [this](const httplib::Request& req, httplib::Response& res) {
        json body;
        if (!parse_body(req, res, body)) return;
        try {
            m_rate.configure(body);
        } catch (const std::exception& e) {
            return send_error(res, 400, "", e.what());
        }
        send_json(res, m_rate.status());
    });
    m_http.Get("/__fakehub/ratelimit", [this](const httplib::Request&, httplib::Response& res) {
        send_json(res, m_rate.status());
    });
    m_http.Delete("/__fakehub/ratelimit", [this](const httplib::Request&, httplib::Response& res) {
        m_rate.clear();
        send_json(res, m_rate.status());
    });
    m_http.Post("/__fakehub/reset", [this](const httplib::Request&, httplib::Response& res) {
        m_faults.clear();
        m_rate.clear();
        m_log.clear();
        m_store.reset_changes();
        m_bridge.reset();
        send_json(res, {{"ok", true}});
    });
    m_http.Get("/__fakehub/mode", [this](const httplib::Request&, httplib::Response& res) {
        send_json(res, m_bridge.get().to_json());
    });
    m_http.Post("/__fakehub/mode", [this](const httplib::Request& req, httplib::Response& res) {
        json body;
        if (!parse_body(req, res, body)) return;
        try {
            send_json(res, m_bridge.update(body).to_json());
        } catch (const std::invalid_argument& e) {
            send_error(res, 400, "", e.what());
        }
    });
    m_http.Post("/__fakehub/change", [this](const httplib::Request& req, httplib::Response& res) {
        json body;
        if (!parse_body(req, res, body)) return;
        const std::string repo = body.value("repo", ""), path = body.value("path", "");
        const std::string sha = m_store.change_content(repo, path);
        if (sha.empty()) return send_error(res, 404, "EntryNotFound", "no such repo or file");
        Lookup found = Lookup::no_repo;
        auto v = m_store.view(repo, "main", found);
        const FileInfo* f = v && found == Lookup::ok ? v->find(path) : nullptr;
        send_json(res, {{"sha", sha}, {"etag", f ? f->etag() : ""}});
    });
    m_http.Post("/__fakehub/shutdown", [](const httplib::Request&, httplib::Response& res) {
        // The stop itself happens in the logger, once this reply has been written.
        send_json(res, {{"ok", true}});
    });
}

} // namespace tabagent::fakehub
