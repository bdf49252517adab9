// File endpoints: resolve (200 for git files, 302 to the "CDN" for LFS files) and the CDN itself,
// which is content-addressed by sha256 (or git sha1 when a fault redirects a small file there).
#include "body.hpp"
#include "server.hpp"

namespace tabagent::fakehub {

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string url_encode(const std::string& s, bool keep_slash) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(k_hex[c >> 4]);
            out.push_back(k_hex[c & 0xF]);
        }
    }
    return out;
}

} // namespace

void HubServer::install_file_routes() {
    m_http.Get(R"(^/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$)", [this](const httplib::Request& req,
                                                                    httplib::Response& res) {
        auto rec = record_of(res);
        rec->endpoint = "resolve";
        const std::string repo = req.matches[1].str() + "/" + req.matches[2].str();
        const std::string rev = req.matches[3].str();
        const std::string path = req.matches[4].str();
        std::optional<FaultRule> redirect;
        if (!request_faults(req, res, "resolve", req.path, repo, path, redirect)) return;
        auto v = open_repo(req, res, repo, rev);
        if (!v || !check_gate(req, res, *v)) return;
        const FileInfo* f = v->find(path);
        if (!f) return send_error(res, 404, "EntryNotFound", "Entry not found");
        res.set_header("X-Repo-Commit", v->sha);
        res.set_header("ETag", quoted(f->etag()));
        if (redirect && redirect->kind == FaultKind::redirect_loop) return res.set_redirect(req.target, 302);
        if (f->lfs || redirect) {
            res.set_header("X-Linked-Etag", quoted(f->etag()));
            res.set_header("X-Linked-Size", std::to_string(f->size));
            const BridgeSettings mode = m_bridge.get();
            std::string cdn = m_opt.cdn_base + "/cdn/" + f->etag() + "?repo=" + url_encode(repo, true) +
                              "&file=" + url_encode(path, true) + "&rev=" + v->sha;
            if (mode.signed_url_ttl > 0) cdn = sign_url(cdn, mode.signed_url_ttl);
            res.set_redirect(cdn, 302);
            if (mode.xet && f->lfs) {
                add_xet_headers(res, public_base(req), repo, v->sha, f->etag());
                // The Hub's 302 has a small body of its own: its Content-Length is not the file's.
                res.set_content("Found. Redirecting to " + cdn, "text/plain; charset=utf-8");
            }
            return;
        }
        res.set_header("Accept-Ranges", "bytes");
        std::optional<FaultRule> fault;
        if (req.method == "GET") fault = m_faults.take(FaultStage::body, "resolve", req.method, req.path);
        serve_file(req, res, *f, req.get_header_value("Range"), fault,
                   {m_stop, m_log, rec, m_opt.rate_per_connection});
    });

    m_http.Get(R"(^/cdn/([0-9a-f]{40}|[0-9a-f]{64})$)", [this](const httplib::Request& req, httplib::Response& res) {
        auto rec = record_of(res);
        rec->endpoint = "cdn";
        const std::string hash = req.matches[1].str();
        const std::string repo = req.get_param_value("repo");
        const std::string path = req.get_param_value("file");
        // Rules name files by path; the CDN URL carries it in the query so they match here too.
        const std::string match = req.path + " " + repo + "/" + path;
        std::optional<FaultRule> unused;
        if (!request_faults(req, res, "cdn", match, repo, path, unused)) return;
        if (refuse_expired(req, res)) return;
        FileInfo f;
        if (!m_store.find_blob(repo, path, hash, f)) return send_error(res, 404, "EntryNotFound", "Blob not found");
        if (refuse_unranged(req, res, f.size, m_bridge.get().ranged_only_above)) return;
        res.set_header("ETag", quoted(hash));
        res.set_header("Accept-Ranges", "bytes");
        res.set_header("X-Cache", "Hit from fakehub");
        std::optional<FaultRule> fault;
        if (req.method == "GET") fault = m_faults.take(FaultStage::body, "cdn", req.method, match);
        serve_file(req, res, f, req.get_header_value("Range"), fault, {m_stop, m_log, rec, m_opt.rate_per_connection});
    });
}

} // namespace tabagent::fakehub
