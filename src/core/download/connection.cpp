#include "core/download/connection.hpp"

#include "core/download/host_budget.hpp"
#include "core/hub/errors.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace tabagent::download {
namespace {

constexpr std::size_t k_error_body_max = 4096;

std::string range_value(std::uint64_t begin, std::uint64_t end) {
    return std::to_string(begin) + "-" + std::to_string(end - 1);
}

// "bytes 100-199/1000" -> first byte and total; false when malformed.
bool parse_content_range(const std::string& value, std::uint64_t& first, std::uint64_t& total) {
    unsigned long long a = 0, b = 0, t = 0;
    if (std::sscanf(value.c_str(), "bytes %llu-%llu/%llu", &a, &b, &t) != 3) return false;
    first = a;
    total = t;
    return true;
}

// Every file request asks for `Accept-Encoding: identity` (as huggingface_hub does for its HEAD,
// file_download.py): the etag hashes the stored bytes, and a Range counts stored bytes. A server
// that compresses anyway sent something else; hashing it would only fail later, and retrying would
// get the same answer, so it is refused at once with INTEGRITY.
std::optional<Error> refuse_encoding(const hub::ResponseHeaders& response) {
    std::string encoding = response.get("content-encoding");
    std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (encoding.empty() || encoding == "identity") return std::nullopt;
    Error error{ErrorCode::integrity,
                "the server sent a compressed body (Content-Encoding: " + encoding +
                    ") though the request asked for identity; refusing to store it",
                {{"content_encoding", encoding}}};
    error.http_status = response.status;
    return error;
}

// The first body byte arrived: judge the response once. False when the body must not be written.
bool judge_first_byte(Connection& c) {
    c.checked = true;
    Transfer& t = *c.transfer;
    auto kind = judge_response(c.response.status, c.response.get("content-range"), c.start, t.request.size);
    if (!kind) {
        c.fatal = kind.error();
        return false;
    }
    if (*kind == BodyKind::error) {
        c.is_error = true;
        return true;
    }
    if (auto refused = refuse_encoding(c.response)) {
        c.fatal = std::move(*refused);
        return false;
    }
    const double waited = std::chrono::duration<double>(*c.first_byte_at - c.started).count();
    t.planner.record_first_byte(waited);
    if (c.loop->governor) c.loop->governor->first_byte(*c.first_byte_at, waited);
    if (*kind == BodyKind::whole) {
        // Range ignored: the body starts at byte 0. This stream takes the whole file and every
        // other connection of the transfer is dropped.
        if (t.single_stream && !(t.connections.size() == 1 && t.connections[0] == &c)) {
            c.abort = true;
            return false;
        }
        t.single_stream = true;
        c.start = c.pos = 0;
        c.limit = c.req_end = t.request.size;
        for (auto* other : t.connections)
            if (other != &c) other->abort = true;
    }
    const char* effective = nullptr;
    c.loop->api.easy_getinfo(c.easy.get(), CURLINFO_EFFECTIVE_URL, &effective);
    if (effective && t.redirect_url.empty() && t.request.url != effective) t.redirect_url = effective;
    return true;
}

} // namespace

Status Connection::write_out() {
    if (unwritten.empty()) return {};
    auto written = transfer->file.write(unwritten.data(), unwritten.size(), pos - unwritten.size());
    unwritten.clear();
    return written;
}

void Connection::sample_speed(Clock::time_point now) {
    // A sample per loop turn would be thousands a second; a tenth of the window is plenty.
    if (last_sample && now - *last_sample < k_speed_window / 10) return;
    if (!first_sample) first_sample = now;
    last_sample = now;
    recent.record(received, now);
    if (now - *first_sample >= k_speed_window) recent_speed = recent.bytes_per_second();
}

ActiveRange Connection::view(Clock::time_point now) const {
    // Its age counts from the answer's first byte: a wait for it (a Xet bridge) says nothing of
    // how fast the body comes, and would make a fresh body look lagging.
    return {pos, limit, checked && !is_error && !abort,
            std::chrono::duration<double>(now - first_byte_at.value_or(started)).count(), received, recent_speed,
            unwritten.size()};
}

bool wants_another_connection(const Transfer& t) {
    if (t.paused || t.single_stream || static_cast<int>(t.connections.size()) >= t.planner.connection_cap())
        return false;
    std::uint64_t claimed = t.file.done().covered();
    for (const auto* c : t.connections)
        if (c->limit > c->pos) claimed += c->limit - c->pos + c->unwritten.size();
    return claimed < t.request.size;
}

Result<BodyKind> judge_response(long status, const std::string& content_range, std::uint64_t start,
                                std::uint64_t size) {
    if (status == 200) return BodyKind::whole;
    if (status != 206) return BodyKind::error;
    std::uint64_t first = 0, total = 0;
    if (parse_content_range(content_range, first, total) && first == start && total == size)
        return BodyKind::ranged;
    Error error{ErrorCode::network, "server sent an unexpected Content-Range",
                {{"content_range", content_range}}};
    error.http_status = 206;
    return tl::unexpected(std::move(error));
}

void configure(Connection& c, const std::string& url, const EngineOptions& options) {
    const hub::CurlApi& api = c.loop->api;
    const FileRequest& request = c.transfer->request;
    // Credentials only to the request URL's origin (the CDN gets signed URLs instead).
    if (hub::url_origin(url) == hub::url_origin(request.url))
        for (const auto& line : request.headers) hub::slist_append(c.headers, line.c_str());
    // The stored bytes, never a compressed form of them (see refuse_encoding); libcurl would send
    // no Accept-Encoding at all, which a CDN may read as "anything goes".
    hub::slist_append(c.headers, "Accept-Encoding: identity");
    CURL* e = c.easy.get();
    api.easy_setopt(e, CURLOPT_URL, url.c_str());
    api.easy_setopt(e, CURLOPT_HTTPHEADER, c.headers.get());
    api.easy_setopt(e, CURLOPT_USERAGENT, hub::user_agent().c_str());
    api.easy_setopt(e, CURLOPT_RANGE, range_value(c.start, c.req_end).c_str());
    api.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    api.easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    api.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    api.easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    api.easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    api.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    api.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    // Stalls are detected by the loop (stall_timeout): libcurl's LOW_SPEED check averages over a
    // window of several seconds, so it reacts far later.
    api.easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L); // a compressed body is refused, not decoded
    api.easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
    api.easy_setopt(e, CURLOPT_ERRORBUFFER, c.error_buffer);
    api.easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
    api.easy_setopt(e, CURLOPT_HEADERDATA, &c);
    api.easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
    api.easy_setopt(e, CURLOPT_WRITEDATA, &c);
    api.easy_setopt(e, CURLOPT_PRIVATE, &c);
}

// Inside curl_multi_perform (or curl_easy_pause): no multi calls here.
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* c = static_cast<Connection*>(user);
    c->last_activity = c->loop->now();
    c->response.feed(std::string_view(data, size * count));
    // The wait for the first byte ends with the head of the answer itself; a redirect's head
    // (the Hub's 302) does not end it: the bridge behind it may still need a minute.
    if (!c->first_byte_at && (c->response.status < 300 || c->response.status >= 400) && c->response.status >= 200)
        c->first_byte_at = c->last_activity;
    budget_observe(*c, std::string_view(data, size * count));
    return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* c = static_cast<Connection*>(user);
    const std::size_t n = size * count;
    if (c->abort || c->fatal) return 0; // fatal: a delayed write-out (engine.cpp) failed
    c->last_activity = c->loop->now();
    if (!c->checked) {
        if (!c->first_byte_at) c->first_byte_at = c->last_activity;
        if (!judge_first_byte(*c)) return 0;
    }
    // Rate limit: an empty bucket pauses the connection; the loop resumes it (curl_easy_pause)
    // once tokens are back, and curl hands the same bytes over again.
    if (!c->is_error && !c->loop->bucket.take(n)) {
        c->rate_paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (c->is_error) {
        if (c->error_body.size() < k_error_body_max)
            c->error_body.append(data, std::min(n, k_error_body_max - c->error_body.size()));
        return n;
    }
    Transfer& t = *c->transfer;
    const std::uint64_t room = c->limit > c->pos ? c->limit - c->pos : 0;
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(room, n));
    if (take > 0) {
        if (c->unwritten.empty() && take >= k_write_batch) { // a big callback: straight through
            if (auto written = t.file.write(data, take, c->pos); !written) {
                c->fatal = written.error();
                return 0;
            }
        } else {
            if (c->unwritten.capacity() < k_write_batch) c->unwritten.reserve(k_write_batch);
            if (c->unwritten.empty()) c->gathered_since = c->last_activity;
            c->unwritten.insert(c->unwritten.end(), data, data + take);
        }
        c->pos += take;
        c->received += take;
        t.received += take;
        c->loop->received += take;
        if (c->unwritten.size() >= k_write_batch || c->pos >= c->limit) {
            if (auto written = c->write_out(); !written) {
                c->fatal = written.error();
                return 0;
            }
        }
    }
    if (take < n || (c->pos >= c->limit && c->limit < c->req_end)) {
        c->stop_ok = true; // our share is written; the rest belongs to another connection
        return 0;
    }
    return n;
}

Progress progress_of(Transfer& t, Clock::time_point at) {
    Progress p;
    p.bytes_total = t.request.size;
    // Never backwards, even when an integrity retry starts over.
    p.bytes_done = std::max(t.reported, t.file.done().covered());
    t.reported = p.bytes_done;
    t.speed.record(t.received, at); // sampled at the progress cadence, not every loop turn
    p.bytes_per_second = t.paused ? 0 : t.speed.bytes_per_second();
    p.waiting = t.retry.waiting(at);
    if (p.waiting) p.retry_in_seconds = std::chrono::duration<double>(t.retry.not_before() - at).count();
    if (const double budget = budget_wait_seconds(t, at); budget > 0) {
        p.waiting = true;
        p.retry_in_seconds = std::max(p.retry_in_seconds, budget);
    }
    p.paused = t.paused;
    p.connections = static_cast<int>(t.connections.size());
    t.last_progress = at;
    return p;
}

void log_request(const Connection& c, bool failed, int open) {
    if (!spdlog::should_log(spdlog::level::debug)) return;
    const auto at = c.loop->now();
    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    const double first_byte = c.first_byte_at ? seconds(*c.first_byte_at - c.started) : -1;
    const double body = seconds(at - c.first_byte_at.value_or(at));
    spdlog::debug("download: transfer {} request [{}, {}) {}: {} bytes, first byte {:.3f} s, body {:.3f} s, {} open",
                  c.transfer->id, c.start, c.req_end, failed ? "failed" : "done", c.received, first_byte, body, open);
}

std::optional<Error> connection_outcome(const Connection& c, CURLcode result) {
    if (!c.is_error && !c.fatal &&
        ((result == CURLE_OK && c.checked && c.pos >= c.limit) || (result == CURLE_WRITE_ERROR && c.stop_ok)))
        return std::nullopt;
    if (c.fatal) return *c.fatal;
    if (c.is_error || (result == CURLE_OK && c.response.status >= 300))
        return hub::http_error(c.response.status, c.response.failure_info("", c.transfer->request.url));
    if (result != CURLE_OK) return hub::transport_error(result, c.error_buffer);
    return hub::transport_error(CURLE_PARTIAL_FILE, "connection ended early");
}

} // namespace tabagent::download
