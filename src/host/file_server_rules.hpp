#pragma once
// The loopback file server's request rules (DESIGN §3 "Why a loopback server"), as pure functions
// so that they can be tested without sockets: which URLs it answers, which Host headers it accepts
// (the Origin header follows the one origin rule of host/origin.hpp), and how a Range header maps
// onto a file.
#include "core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tabagent::host {

// A Hub-style file URL: /<token>/<owner>/<name>/resolve/<revision>/<path>.
struct HubFileRequest {
    std::string repo;
    std::string revision;
    std::string path;
};

// Parses the raw request target (before percent-decoding, so that an encoded slash inside the
// revision, e.g. refs%2Fpr%2F1, stays inside it). Each segment is decoded on its own.
// NOT_FOUND: wrong or missing token, or not a resolve URL (no information is given away);
// BAD_REQUEST: broken percent-encoding; INVALID_REPO / INVALID_PATH: names that fail
// core/names.hpp. No disk access.
Result<HubFileRequest> parse_hub_target(std::string_view target, std::string_view token);

// True when the first path segment of `target` is the token (compared in constant time).
bool target_has_token(std::string_view target, std::string_view token);

// %XX decoding of one path segment ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view segment);

// DNS rebinding defence: only "127.0.0.1:<port>" and "localhost:<port>" (any case).
bool host_header_allowed(std::string_view host, int port);

// One Range header against a file of `size` bytes. Only single ranges are honoured; a header we
// do not understand (several ranges, other units) is ignored and the whole file is sent.
struct RangeAnswer {
    enum class Kind { whole, partial, unsatisfiable } kind = Kind::whole;
    std::uint64_t first = 0;
    std::uint64_t length = 0;
};
RangeAnswer answer_range(std::string_view header, std::uint64_t size);

// application/json for *.json, else application/octet-stream.
std::string_view content_type_for(std::string_view path);

// 32 lowercase hex chars from 16 bytes of getrandom(2) (util::random_hex). INTERNAL when it fails.
Result<std::string> random_token();

} // namespace tabagent::host
