#include "core/hub/file_meta.hpp"

namespace tabagent::hub {
namespace {

std::string unquote_etag(std::string etag) {
    if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
    return etag;
}

std::optional<std::uint64_t> to_u64(const std::string& text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

std::string absolute(const std::string& url, const std::string& endpoint) {
    return !url.empty() && url.front() == '/' ? endpoint + url : url;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(0, 1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    return s;
}

} // namespace

std::string link_target(const std::string& header, const std::string& rel) {
    std::size_t pos = 0;
    while (pos < header.size()) {
        const auto open = header.find('<', pos);
        if (open == std::string::npos) break;
        const auto close = header.find('>', open);
        if (close == std::string::npos) break;
        const auto end = header.find(',', close);
        std::string params = header.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1);
        // Each ";"-separated parameter; rel="a b" may name several relations.
        std::size_t p = 0;
        while (p <= params.size()) {
            const auto semi = params.find(';', p);
            const std::string param = trim(params.substr(p, semi == std::string::npos ? std::string::npos : semi - p));
            if (param.rfind("rel=", 0) == 0) {
                std::string value = param.substr(4);
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                    value = value.substr(1, value.size() - 2);
                std::size_t w = 0;
                while (w < value.size()) {
                    const auto space = value.find(' ', w);
                    if (value.substr(w, space == std::string::npos ? std::string::npos : space - w) == rel)
                        return header.substr(open + 1, close - open - 1);
                    if (space == std::string::npos) break;
                    w = space + 1;
                }
            }
            if (semi == std::string::npos) break;
            p = semi + 1;
        }
        if (end == std::string::npos) break;
        pos = end + 1;
    }
    return {};
}

Result<FileMeta> file_meta_from_response(long status, const ResponseHeaders& headers, const std::string& url,
                                         const std::string& endpoint) {
    const bool redirect = status >= 300 && status < 400;
    FileMeta meta;
    meta.commit = headers.get("x-repo-commit");
    meta.etag = unquote_etag(headers.get("x-linked-etag"));
    if (meta.etag.empty()) meta.etag = unquote_etag(headers.get("etag"));
    auto size = to_u64(headers.get("x-linked-size"));
    // A redirect's Content-Length counts its own body ("Found. Redirecting to ..."), not the
    // file: huggingface_hub falls back to it; we refuse to.
    if (!size && !redirect) size = to_u64(headers.get("content-length"));
    const std::string location = headers.get("location");
    meta.location = redirect && !location.empty() ? absolute(location, endpoint) : url;
    if (const std::string hash = headers.get("x-xet-hash"); !hash.empty()) {
        std::string route = link_target(headers.get("link"), "xet-auth");
        if (route.empty()) route = headers.get("x-xet-refresh-route");
        if (!route.empty()) meta.xet = XetFileData{hash, absolute(route, endpoint)};
    }
    Error error{ErrorCode::network, "", {{"url", strip_query(url)}, {"http_status", status}}};
    if (meta.etag.empty()) error.message = "the Hub sent no ETag";
    else if (!size) error.message = redirect ? "the Hub's redirect carries no X-Linked-Size" : "the Hub sent no size";
    if (!error.message.empty()) return tl::unexpected(std::move(error));
    meta.size = *size;
    return meta;
}

} // namespace tabagent::hub
