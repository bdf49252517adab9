// Hub metadata endpoints: model info at a revision, the recursive tree with Link pagination, whoami.
#include "server.hpp"

#include <set>

namespace tabagent::fakehub {

using nlohmann::json;

namespace {

constexpr const char* k_timestamp = "2024-05-01T12:00:00.000Z";

json model_info(const RepoView& v, bool blobs) {
    json siblings = json::array();
    for (const auto& f : v.files) {
        json s = {{"rfilename", f.path}};
        if (blobs) {
            s["size"] = f.size;
            s["blobId"] = f.tree_oid;
            if (f.lfs) s["lfs"] = {{"sha256", f.sha256}, {"size", f.size}, {"pointerSize", f.pointer_size}};
        }
        siblings.push_back(std::move(s));
    }
    const auto slash = v.id.find('/');
    return {{"_id", v.sha.substr(0, 24)},
            {"id", v.id},
            {"modelId", v.id},
            {"author", v.id.substr(0, slash)},
            {"sha", v.sha},
            {"lastModified", k_timestamp},
            {"createdAt", k_timestamp},
            {"private", v.is_private},
            {"gated", v.gated},
            {"disabled", false},
            {"downloads", 0},
            {"likes", 0},
            {"tags", json::array()},
            {"pipeline_tag", v.pipeline_tag.empty() ? json(nullptr) : json(v.pipeline_tag)},
            {"library_name", v.library_name.empty() ? json(nullptr) : json(v.library_name)},
            {"siblings", std::move(siblings)}};
}

bool truthy(const std::string& v) { return v == "1" || v == "true" || v == "True"; }

// Tree entries under `prefix` (a folder, "" = root), recursive or one level, sorted by path.
json tree_entries(const RepoView& v, const std::string& prefix, bool recursive, bool& prefix_found) {
    std::set<std::string> dirs;
    const std::string base = prefix.empty() ? "" : prefix + "/";
    prefix_found = prefix.empty();
    std::vector<std::pair<std::string, json>> out;
    for (const auto& f : v.files) {
        if (f.path.rfind(base, 0) != 0) continue;
        prefix_found = true;
        const std::string rest = f.path.substr(base.size());
        // Every folder between the prefix and the file is an entry of its own.
        for (auto pos = rest.find('/'); pos != std::string::npos; pos = rest.find('/', pos + 1)) {
            const std::string dir = base + rest.substr(0, pos);
            if (dirs.insert(dir).second && (recursive || rest.find('/') == pos))
                out.emplace_back(dir, json{{"type", "directory"},
                                           {"oid", git_blob_sha1("tree\n" + v.sha + "\n" + dir)},
                                           {"size", 0},
                                           {"path", dir}});
            if (!recursive) break;
        }
        if (!recursive && rest.find('/') != std::string::npos) continue;
        json e = {{"type", "file"}, {"oid", f.tree_oid}, {"size", f.size}, {"path", f.path}};
        if (f.lfs) e["lfs"] = {{"oid", f.sha256}, {"size", f.size}, {"pointerSize", f.pointer_size}};
        out.emplace_back(f.path, std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    json arr = json::array();
    for (auto& [path, e] : out) arr.push_back(std::move(e));
    return arr;
}

// The raw query without its cursor parameter, to rebuild the next page's URL.
std::string query_without_cursor(const std::string& target) {
    const auto q = target.find('?');
    if (q == std::string::npos) return "";
    std::string out;
    std::string query = target.substr(q + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
        auto amp = query.find('&', start);
        if (amp == std::string::npos) amp = query.size();
        const std::string part = query.substr(start, amp - start);
        if (!part.empty() && part.rfind("cursor=", 0) != 0) out += (out.empty() ? "" : "&") + part;
        start = amp + 1;
    }
    return out;
}

} // namespace

void HubServer::install_api_routes() {
    auto revision = [this](const httplib::Request& req, httplib::Response& res) {
        auto rec = record_of(res);
        rec->endpoint = "api";
        const std::string repo = req.matches[1].str() + "/" + req.matches[2].str();
        const std::string rev = req.matches.size() > 3 && req.matches[3].matched ? req.matches[3].str() : "main";
        std::optional<FaultRule> unused;
        if (!request_faults(req, res, "api", req.path, repo, "", unused)) return;
        auto v = open_repo(req, res, repo, rev);
        if (!v) return;
        send_json(res, model_info(*v, truthy(req.get_param_value("blobs"))));
    };
    m_http.Get(R"(^/api/models/([^/]+)/([^/]+)/revision/(.+)$)", revision);
    m_http.Get(R"(^/api/models/([^/]+)/([^/]+)/?$)", revision);

    m_http.Get(R"(^/api/models/([^/]+)/([^/]+)/tree/([^/]+)(?:/(.*))?$)",
               [this](const httplib::Request& req, httplib::Response& res) {
                   auto rec = record_of(res);
                   rec->endpoint = "api";
                   const std::string repo = req.matches[1].str() + "/" + req.matches[2].str();
                   const std::string rev = req.matches[3].str();
                   std::string prefix = req.matches[4].matched ? req.matches[4].str() : "";
                   while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
                   std::optional<FaultRule> unused;
                   if (!request_faults(req, res, "api", req.path, repo, "", unused)) return;
                   auto v = open_repo(req, res, repo, rev);
                   if (!v) return;
                   bool found = true;
                   const bool recursive = truthy(req.get_param_value("recursive"));
                   const auto cached = m_trees.get(*v, prefix, recursive, [&] {
                       json entries = tree_entries(*v, prefix, recursive, found);
                       return found ? entries : json(nullptr);
                   });
                   if (cached->is_null()) return send_error(res, 404, "EntryNotFound", "Path " + prefix + " not found");
                   const json& all = *cached;
                   std::size_t offset = 0;
                   if (req.has_param("cursor")) {
                       try {
                           offset = std::stoull(req.get_param_value("cursor"));
                       } catch (const std::exception&) {
                           return send_error(res, 400, "", "Invalid cursor");
                       }
                   }
                   const auto page = static_cast<std::size_t>(std::max(m_opt.page_size, 1));
                   json out = json::array();
                   for (std::size_t i = offset; i < all.size() && i < offset + page; ++i) out.push_back(all[i]);
                   if (offset + page < all.size()) {
                       const std::string raw_path = req.target.substr(0, req.target.find('?'));
                       const std::string q = query_without_cursor(req.target);
                       res.set_header("Link", "<" + public_base(req) + raw_path + "?" + q + (q.empty() ? "" : "&") +
                                                  "cursor=" + std::to_string(offset + page) + ">; rel=\"next\"");
                   }
                   send_json(res, out);
               });

    // POST /api/models/{repo}/paths-info/{rev} {"paths":[...],"expand":bool}: what
    // @huggingface/hub's downloadFileToCacheDir asks before it downloads a file.
    m_http.Post(R"(^/api/models/([^/]+)/([^/]+)/paths-info/([^/]+)$)",
                [this](const httplib::Request& req, httplib::Response& res) {
                    auto rec = record_of(res);
                    rec->endpoint = "api";
                    const std::string repo = req.matches[1].str() + "/" + req.matches[2].str();
                    std::optional<FaultRule> unused;
                    if (!request_faults(req, res, "api", req.path, repo, "", unused)) return;
                    auto v = open_repo(req, res, repo, req.matches[3].str());
                    if (!v) return;
                    json body = json::parse(req.body, nullptr, false);
                    if (!body.is_object() || !body.contains("paths") || !body["paths"].is_array())
                        return send_error(res, 400, "", "Invalid body: expected {\"paths\": [...]}");
                    bool found = false;
                    json all = tree_entries(*v, "", true, found);
                    json out = json::array();
                    for (const auto& wanted : body["paths"]) {
                        for (const auto& e : all) {
                            if (!wanted.is_string() || e["path"] != wanted) continue;
                            json item = e;
                            if (body.value("expand", false))
                                item["lastCommit"] = {{"id", v->sha}, {"title", "fake commit"},
                                                      {"date", "2026-01-01T00:00:00.000Z"}};
                            out.push_back(std::move(item));
                        }
                    }
                    send_json(res, out);
                });

    m_http.Get("/api/whoami-v2", [this](const httplib::Request& req, httplib::Response& res) {
        record_of(res)->endpoint = "api";
        if (!token_accepted(req))
            return send_error(res, 401, "", "Invalid credentials in Authorization header");
        send_json(res, {{"type", "user"},
                        {"name", "fake-user"},
                        {"fullname", "Fake User"},
                        {"orgs", json::array()},
                        {"auth", {{"type", "access_token"}, {"accessToken", {{"role", "read"}}}}}});
    });
}

} // namespace tabagent::fakehub
