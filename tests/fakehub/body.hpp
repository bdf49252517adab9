#pragma once
// Serving file bytes: Range/If-Range, 206/416, streaming with pread in bounded chunks, rate pacing,
// and the body-stage faults (drop, stall, corrupt, ignore_range, rate, truncate, wrong_length).
#include "faults.hpp"
#include "repo_store.hpp"
#include "request_log.hpp"
#include "stop_signal.hpp"

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace tabagent::fakehub {

struct ByteRange {
    std::uint64_t start = 0;
    std::uint64_t length = 0;
};

enum class RangeResult { none, ok, unsatisfiable };

// Parses one `bytes=a-b`, `bytes=a-` or `bytes=-n` range against `size`. Malformed or multi-range
// headers are treated as absent (RFC 9110 lets a server ignore them).
RangeResult parse_range(std::string_view header, std::uint64_t size, ByteRange& out);

struct BodyContext {
    StopSignal& stop;
    RequestLog& log;
    std::shared_ptr<RequestRecord> record;
    double rate_cap = 0; // bytes per second per response, 0 = unlimited
};

// Fills `res` with the bytes of `file` (status 200/206/416, Content-Range, Accept-Ranges, ETag
// must already be set by the caller except Content-Range). `range_header`/`if_range` come from
// the request; `fault` is a body-stage rule or nullopt.
void serve_file(const httplib::Request& req, httplib::Response& res, const FileInfo& file,
                const std::string& range_header, std::optional<FaultRule> fault, BodyContext ctx);

} // namespace tabagent::fakehub
