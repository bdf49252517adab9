#include "core/hub/client.hpp"

#include "core/hub/http.hpp"
#include "core/hub/rate_budget.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <random>

namespace tabagent::hub {

struct HubClient::Response {
    HttpResponse http;
};

namespace {

Error offline_error() {
    return Error{ErrorCode::offline, "offline mode: the Hub is not contacted",
                 {{"hint", "unset HF_HUB_OFFLINE or drop --offline"}}};
}

} // namespace

HubClient::HubClient(const Config& config, std::optional<std::string> token, ClientOptions options)
    : m_endpoint(config.endpoint), m_offline(config.offline), m_token(std::move(token)),
      m_options(options) {
    while (!m_endpoint.empty() && m_endpoint.back() == '/') m_endpoint.pop_back();
    if (m_token && m_token->empty()) m_token.reset();
}

std::vector<std::string> HubClient::auth_headers() const {
    if (!m_token) return {};
    return {"Authorization: Bearer " + *m_token};
}

std::string HubClient::resolve_url(const std::string& repo, const std::string& revision,
                                   const std::string& path) const {
    return m_endpoint + "/" + repo + "/resolve/" + encode_segment(revision) + "/" + encode_path(path);
}

Status HubClient::wait(double wait_seconds) {
    using namespace std::chrono;
    const auto until = steady_clock::now() + duration_cast<steady_clock::duration>(duration<double>(wait_seconds));
    std::mutex mutex;
    std::condition_variable_any never;
    std::unique_lock lock(mutex);
    for (auto now = steady_clock::now(); now < until; now = steady_clock::now()) {
        const double left = duration<double>(until - now).count();
        if (m_options.on_wait) m_options.on_wait(left);
        // Steps of at most a second, so the job's events count down.
        const auto step = std::min<steady_clock::duration>(until - now, seconds(1));
        (void)never.wait_for(lock, m_options.stop, step, [] { return false; });
        if (m_options.stop.stop_requested()) break;
    }
    if (m_options.on_wait) m_options.on_wait(std::nullopt);
    if (m_options.stop.stop_requested()) return fail(ErrorCode::cancelled, "stopped while waiting for the Hub");
    return {};
}

// Retries as huggingface_hub's http_backoff does (utils/_http.py: 408, 429, 5xx, transport
// errors; Retry-After honoured), and asks the host's budget before every try.
Result<HubClient::Response> HubClient::get(const std::string& url, const std::string& repo, bool head) {
    if (m_offline) return tl::unexpected(offline_error());
    static thread_local std::mt19937_64 jitter_random{std::random_device{}()};
    const std::string origin = url_origin(url);
    for (int tries = 1;; ++tries) {
        while (m_options.budgets) {
            const auto wait_for = m_options.budgets->acquire(origin, std::chrono::steady_clock::now());
            if (!wait_for) break;
            spdlog::info("hub: request budget of {} spent; waiting {} ms", origin,
                         std::chrono::duration_cast<std::chrono::milliseconds>(*wait_for).count());
            if (auto st = wait(std::chrono::duration<double>(*wait_for).count()); !st) return tl::unexpected(st.error());
        }
        auto response = attempt(url, repo, head);
        if (response || !is_retryable(response.error()) || tries >= m_options.max_attempts) {
            if (!response && tries > 1) response.error().details["attempts"] = tries;
            return response;
        }
        double delay = 0;
        if (response.error().details.contains("retry_after")) {
            delay = response.error().details["retry_after"].get<double>();
        } else {
            const double base = std::chrono::duration<double>(m_options.backoff_base).count();
            const double cap = std::chrono::duration<double>(m_options.backoff_cap).count();
            delay = std::min(cap, base * std::pow(2.0, tries - 1)) * std::uniform_real_distribution(0.5, 1.0)(jitter_random);
        }
        spdlog::warn("hub: {} {} failed ({}); try {} of {} in {:.1f} s", head ? "HEAD" : "GET", strip_query(url),
                     response.error().message, tries + 1, m_options.max_attempts, delay);
        if (auto st = wait(delay); !st) return tl::unexpected(st.error());
    }
}

Result<HubClient::Response> HubClient::attempt(const std::string& url, const std::string& repo, bool head) {
    HttpRequest request;
    request.url = url;
    request.head = head;
    request.follow_redirects = false;
    request.connect_timeout_ms = m_options.connect_timeout_ms;
    request.timeout_ms = m_options.timeout_ms;
    // Credentials only go to the endpoint's own origin (a Link or Location could point elsewhere).
    if (url_origin(url) == url_origin(m_endpoint)) request.headers = auth_headers();
    if (head) request.headers.push_back("Accept-Encoding: identity"); // true Content-Length
    std::lock_guard lock(m_mutex);
    if (!m_easy) { // first request: libcurl is loaded now, not when the client is made
        auto api = load_curl();
        if (!api) return tl::unexpected(api.error());
        m_easy.reset((*api)->easy_init());
        if (!m_easy) return fail(ErrorCode::internal, "curl_easy_init failed");
    }
    spdlog::debug("hub: {} {}", head ? "HEAD" : "GET", strip_query(url));
    auto response = perform(m_easy.get(), request);
    if (response && m_options.budgets)
        m_options.budgets->observe(url_origin(url), response->status, response->headers,
                                   std::chrono::steady_clock::now());
    if (!response) {
        response.error().details["url"] = strip_query(url);
        if (!repo.empty()) response.error().details["repo"] = repo;
        return tl::unexpected(response.error());
    }
    if (response->status >= 400)
        return tl::unexpected(
            http_error(response->status, response->headers.failure_info(repo, url)));
    return Response{std::move(*response)};
}

Result<model::RepoListing> HubClient::list_repo(const std::string& repo,
                                                const std::string& revision) {
    model::RepoListing listing;
    listing.repo = repo;
    listing.revision = revision;
    const std::string base = m_endpoint + "/api/models/" + repo;
    auto info = get(base + "/revision/" + encode_segment(revision), repo, false);
    if (!info) return tl::unexpected(info.error());
    try {
        const auto json = nlohmann::json::parse(info->http.body);
        listing.commit = json.value("sha", "");
        if (json.contains("pipeline_tag") && json["pipeline_tag"].is_string())
            listing.pipeline_tag = json["pipeline_tag"].get<std::string>();
        // "gated" is false or a string ("auto", "manual").
        if (json.contains("gated"))
            listing.gated = json["gated"].is_string() || (json["gated"].is_boolean() && json["gated"].get<bool>());
        listing.is_private = json.value("private", false);
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorCode::network, std::string("bad repo info from the Hub: ") + e.what(),
                    {{"repo", repo}});
    }
    // List at the resolved commit so that files and commit agree even if the branch moves.
    const std::string tree_rev = listing.commit.empty() ? revision : listing.commit;
    std::string url = base + "/tree/" + encode_segment(tree_rev) + "?recursive=true";
    for (int page = 0; !url.empty(); ++page) {
        if (page >= 10'000) return fail(ErrorCode::network, "tree pagination does not end", {{"repo", repo}});
        auto tree = get(url, repo, false);
        if (!tree) return tl::unexpected(tree.error());
        try {
            const auto json = nlohmann::json::parse(tree->http.body);
            if (!json.is_array()) throw nlohmann::json::type_error::create(302, "tree is not an array", nullptr);
            for (const auto& entry : json) {
                if (entry.value("type", "file") != "file") continue;
                model::RepoFile file;
                file.path = entry.at("path").get<std::string>();
                file.size = entry.value("size", std::uint64_t{0});
                // Kept for trees/<commit>.json (cache/hub_metadata.hpp); either may be absent or null.
                if (entry.contains("oid") && entry["oid"].is_string()) file.blob_id = entry["oid"].get<std::string>();
                if (entry.contains("xetHash") && entry["xetHash"].is_string())
                    file.xet_hash = entry["xetHash"].get<std::string>();
                if (entry.contains("lfs") && entry["lfs"].is_object()) {
                    file.lfs = true;
                    file.etag = entry["lfs"].value("oid", "");
                    if (entry["lfs"].contains("size")) file.size = entry["lfs"]["size"].get<std::uint64_t>();
                } else {
                    file.etag = entry.value("oid", "");
                }
                listing.files.push_back(std::move(file));
            }
        } catch (const nlohmann::json::exception& e) {
            return fail(ErrorCode::network, std::string("bad file listing from the Hub: ") + e.what(),
                        {{"repo", repo}});
        }
        url = link_target(tree->http.headers.get("link"), "next");
        if (!url.empty() && url.front() == '/') url = m_endpoint + url;
    }
    return listing;
}

Result<FileMeta> HubClient::head_file(const std::string& repo, const std::string& revision,
                                      const std::string& path) {
    std::string url = resolve_url(repo, revision, path);
    for (int hop = 0; hop < 5; ++hop) {
        auto response = get(url, repo, true);
        if (!response) {
            if (response.error().code == ErrorCode::not_found) response.error().details["path"] = path;
            return tl::unexpected(response.error());
        }
        const auto& headers = response->http.headers;
        const std::string location = headers.get("location");
        const long status = response->http.status;
        // A relative redirect stays on the Hub (renamed repo): follow it; an absolute one is the
        // CDN, whose headers we don't need (X-Linked-* are on the Hub's reply).
        if (status >= 300 && status < 400 && !location.empty() && location.front() == '/' &&
            headers.get("x-linked-etag").empty()) {
            url = m_endpoint + location;
            continue;
        }
        auto meta = file_meta_from_response(status, headers, url, m_endpoint);
        if (!meta) {
            meta.error().message += " for " + path;
            meta.error().details["repo"] = repo;
            meta.error().details["path"] = path;
        }
        return meta;
    }
    return fail(ErrorCode::network, "too many redirects resolving " + path, {{"repo", repo}, {"path", path}});
}

Result<nlohmann::json> HubClient::whoami() {
    if (m_offline) return tl::unexpected(offline_error());
    if (!m_token) return fail(ErrorCode::auth_required, "no Hugging Face token set");
    auto response = get(m_endpoint + "/api/whoami-v2", "", false);
    if (!response) return tl::unexpected(response.error());
    try {
        return nlohmann::json::parse(response->http.body);
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorCode::network, std::string("bad whoami reply: ") + e.what());
    }
}

} // namespace tabagent::hub
