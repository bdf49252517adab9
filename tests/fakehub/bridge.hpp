#pragma once
// The Hub as it serves Xet-backed files to clients that do not speak Xet (issue 13 item 1): the
// resolve answer carries the Xet headers, the redirect goes to a bridge that rebuilds the file,
// the signed URL expires, and big files are served only to ranged requests. Switched on per
// server (flags) or at run time (`POST /__fakehub/mode`); off by default, so the plain LFS
// contract of the other tests is unchanged.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <mutex>
#include <string>

namespace tabagent::fakehub {

struct BridgeSettings {
    bool xet = false;                    // resolve answers X-Xet-Hash, X-Xet-Refresh-Route, Link rel="xet-auth"
    double signed_url_ttl = 0;           // seconds a CDN URL stays valid (X-Amz-Expires); 0 = forever
    std::uint64_t ranged_only_above = 0; // a GET without Range of a larger file gets 400; 0 = off

    nlohmann::json to_json() const;
};

class BridgeMode {
public:
    explicit BridgeMode(BridgeSettings initial) : m_initial(initial), m_now(initial) {}
    BridgeSettings get() const;
    // Applies the fields present in `patch`; throws std::invalid_argument on a bad value.
    BridgeSettings update(const nlohmann::json& patch);
    void reset(); // back to the flags' values

private:
    mutable std::mutex m_mutex;
    BridgeSettings m_initial, m_now;
};

// The Xet headers of a resolve answer for an LFS file, as huggingface_hub reads them
// (utils/_xet.py parse_xet_file_data_from_response), and the redirect's own small text body.
void add_xet_headers(httplib::Response& res, const std::string& hub_base, const std::string& repo,
                     const std::string& commit, const std::string& sha256);
// Appends X-Amz-Date / X-Amz-Expires (seconds since the epoch with millisecond precision in
// X-Fakehub-Signed-At, since S3's own date has whole seconds) to a CDN URL.
std::string sign_url(const std::string& url, double ttl);
// A signed CDN request past its expiry: answers 403 as S3 does and returns true.
bool refuse_expired(const httplib::Request& req, httplib::Response& res);
// A GET without Range of a file over the threshold: answers 400 as the bridge does, returns true.
bool refuse_unranged(const httplib::Request& req, httplib::Response& res, std::uint64_t size,
                     std::uint64_t threshold);
// Compresses `data` as gzip (a CDN that ignored Accept-Encoding: identity).
std::string gzip(const std::string& data);

} // namespace tabagent::fakehub
