#pragma once
// Synchronous client for the Hub's HTTP API (DESIGN §5): repo metadata + file listing, HEAD of a
// file's resolve URL, whoami. Thread-safe (one easy handle behind a mutex; calls are serialised).
// Every failure is an Error from hub/errors.hpp; with Config::offline every call fails at once
// with OFFLINE and never touches the network.
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/hub/curl_handles.hpp"
#include "core/hub/file_meta.hpp"
#include "core/model/repo_file.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace tabagent::hub {

class HostBudgets;

// Told while a request waits for the Hub (Retry-After, backoff, the host's budget): the seconds
// left, about once a second; nullopt once the request goes out again.
using WaitCallback = std::function<void(std::optional<double> seconds_left)>;

struct ClientOptions {
    long connect_timeout_ms = 10'000;
    long timeout_ms = 30'000; // whole metadata request
    // Every metadata request is retried like a file request (huggingface_hub utils/_http.py
    // http_backoff: 408, 429, 5xx and transport errors): at most max_attempts tries, waiting
    // Retry-After when the Hub names a time, else backoff_base * 2^n (capped) with jitter.
    int max_attempts = 6;
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_cap{30'000};
    std::shared_ptr<HostBudgets> budgets; // shared with the download engine; null = no budget
    std::stop_token stop;                 // ends a wait early: CANCELLED
    WaitCallback on_wait;
};

class HubClient {
public:
    HubClient(const Config& config, std::optional<std::string> token, ClientOptions options = {});

    // GET /api/models/{repo}/revision/{rev} (commit sha, pipeline_tag, gated, private) then
    // GET /api/models/{repo}/tree/{rev}?recursive=true following Link rel="next" pages.
    // Files only; etag = lfs.oid (sha256) when LFS, else oid (git sha1).
    // Errors: AUTH_REQUIRED, NOT_FOUND, RATE_LIMITED, NETWORK, OFFLINE.
    Result<model::RepoListing> list_repo(const std::string& repo, const std::string& revision);

    // HEAD of the resolve URL without following the redirect to the CDN (relative redirects on
    // the same host, e.g. a renamed repo, are followed), read by file_meta_from_response (Xet
    // files: the hash and refresh route too). Errors as list_repo.
    Result<FileMeta> head_file(const std::string& repo, const std::string& revision,
                               const std::string& path);

    // {endpoint}/{repo}/resolve/{revision}/{path}, revision and each path segment URL-encoded.
    std::string resolve_url(const std::string& repo, const std::string& revision,
                            const std::string& path) const;

    // GET /api/whoami-v2 with the token; AUTH_REQUIRED when the token is missing or refused.
    Result<nlohmann::json> whoami();

    // "Authorization: Bearer <token>" when a token is set; only for URLs on the endpoint's origin.
    std::vector<std::string> auth_headers() const;
    const std::string& endpoint() const { return m_endpoint; }

private:
    struct Response;
    // One request, retried while is_retryable (see ClientOptions) and waiting for the host's
    // budget before each try.
    Result<Response> get(const std::string& url, const std::string& repo, bool head);
    Result<Response> attempt(const std::string& url, const std::string& repo, bool head);
    // Sleeps `seconds`, telling on_wait about once a second; CANCELLED when options.stop fires.
    Status wait(double wait_seconds);

    std::string m_endpoint; // no trailing slash
    bool m_offline;
    std::optional<std::string> m_token;
    ClientOptions m_options;
    std::mutex m_mutex;
    CurlEasy m_easy;
};

} // namespace tabagent::hub
