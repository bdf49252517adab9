#pragma once
// What the Hub's answer to `HEAD /{repo}/resolve/{rev}/{path}` says about a file, read the way
// huggingface_hub's get_hf_file_metadata (file_download.py) and parse_xet_file_data_from_response
// (utils/_xet.py) read it, with one deliberate difference: a redirect's own Content-Length (the
// length of its small text body) is never taken for the file's size.
#include "core/error.hpp"
#include "core/hub/http.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace tabagent::hub {

struct XetFileData {
    std::string hash;          // X-Xet-Hash: the file's id in Xet storage (64 hex)
    std::string refresh_route; // Link rel="xet-auth", else X-Xet-Refresh-Route; absolute
};

struct FileMeta {
    std::string etag;     // X-Linked-Etag (LFS sha256) else ETag (git sha1), quotes removed
    std::uint64_t size = 0; // X-Linked-Size; Content-Length only of a 2xx answer
    std::string commit;   // X-Repo-Commit
    std::string location; // where the bytes are: the redirect target (CDN) or the resolve URL
    std::optional<XetFileData> xet; // the file is stored in Xet (served to us through a bridge)
};

// Reads one answer (`status`, `headers`) of `url`; relative URLs in it are completed with
// `endpoint`. NETWORK when the etag or the size is missing (a 3xx without X-Linked-Size has no
// size we can trust).
Result<FileMeta> file_meta_from_response(long status, const ResponseHeaders& headers, const std::string& url,
                                         const std::string& endpoint);

// The target of the first `<url>; rel="<rel>"` entry of a Link header, or empty.
std::string link_target(const std::string& header, const std::string& rel);

} // namespace tabagent::hub
