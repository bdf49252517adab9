#include "bridge.hpp"

#include <zlib.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <stdexcept>

namespace tabagent::fakehub {

using nlohmann::json;

namespace {

double epoch_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// S3's X-Amz-Date: 20260101T000000Z.
std::string amz_date(double epoch) {
    const std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &tm);
    return out;
}

} // namespace

json BridgeSettings::to_json() const {
    return {{"xet", xet}, {"signed_url_ttl", signed_url_ttl}, {"ranged_only_above", ranged_only_above}};
}

BridgeSettings BridgeMode::get() const {
    std::lock_guard lock(m_mutex);
    return m_now;
}

BridgeSettings BridgeMode::update(const json& patch) {
    BridgeSettings next = get();
    try {
        if (patch.contains("xet")) next.xet = patch.at("xet").get<bool>();
        if (patch.contains("signed_url_ttl")) next.signed_url_ttl = patch.at("signed_url_ttl").get<double>();
        if (patch.contains("ranged_only_above"))
            next.ranged_only_above = patch.at("ranged_only_above").get<std::uint64_t>();
    } catch (const json::exception&) {
        throw std::invalid_argument("mode: xet is a bool, signed_url_ttl seconds, ranged_only_above bytes");
    }
    if (next.signed_url_ttl < 0) throw std::invalid_argument("mode: signed_url_ttl must be >= 0");
    std::lock_guard lock(m_mutex);
    m_now = next;
    return m_now;
}

void BridgeMode::reset() {
    std::lock_guard lock(m_mutex);
    m_now = m_initial;
}

void add_xet_headers(httplib::Response& res, const std::string& hub_base, const std::string& repo,
                     const std::string& commit, const std::string& sha256) {
    // A Xet file id is a 64-hex merkle hash, not the sha256; a reversed sha256 stands in for it.
    const std::string xet_hash(sha256.rbegin(), sha256.rend());
    // huggingface_hub utils/_xet.py xet_connection_info_refresh_url: /api/{type}s/{repo}/xet-read-token/{rev}.
    const std::string refresh = hub_base + "/api/models/" + repo + "/xet-read-token/" + commit;
    res.set_header("X-Xet-Hash", xet_hash);
    res.set_header("X-Xet-Refresh-Route", refresh);
    res.set_header("Link", "<" + refresh + ">; rel=\"xet-auth\", <" + hub_base + "/cas/v1/reconstructions/" +
                               xet_hash + ">; rel=\"xet-reconstruction-info\"");
}

std::string sign_url(const std::string& url, double ttl) {
    const double now = epoch_seconds();
    const auto expires = static_cast<long long>(std::ceil(ttl));
    const auto expires_at_ms = static_cast<long long>((now + ttl) * 1000);
    return url + "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=" + amz_date(now) +
           "&X-Amz-Expires=" + std::to_string(expires) + "&X-Fakehub-Expires-Ms=" + std::to_string(expires_at_ms) +
           "&X-Amz-Signature=fakehub";
}

bool refuse_expired(const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("X-Fakehub-Expires-Ms")) return false;
    const long long at = std::atoll(req.get_param_value("X-Fakehub-Expires-Ms").c_str());
    if (epoch_seconds() * 1000 < static_cast<double>(at)) return false;
    res.status = 403; // S3 / CloudFront: an expired presigned URL
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
                    "<Message>Request has expired</Message></Error>",
                    "application/xml");
    return true;
}

bool refuse_unranged(const httplib::Request& req, httplib::Response& res, std::uint64_t size,
                     std::uint64_t threshold) {
    if (threshold == 0 || size <= threshold || req.method != "GET" || req.has_header("Range")) return false;
    res.status = 400; // xet-core issue 238: the bridge answers a whole-file GET of a > 50 GB file so
    res.set_content("Bad Request: this file is served to ranged requests only", "text/plain");
    return true;
}

std::string gzip(const std::string& data) {
    z_stream z{};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
    std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : std::string();
}

} // namespace tabagent::fakehub
