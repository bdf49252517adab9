#include "body.hpp"

#include "bridge.hpp"
#include "core/util/fd.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <vector>

namespace tabagent::fakehub {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t k_none = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t k_chunk = 256 * 1024;

bool parse_u64(std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

// Everything a response's content provider needs; shared because httplib copies the provider.
struct BodyJob {
    util::UniqueFd fd;
    std::uint64_t file_start = 0;
    std::uint64_t actual_len = 0;   // bytes we really have to send
    std::uint64_t declared_len = 0; // Content-Length as announced
    bool flipped = false;
    std::uint64_t corrupt_at = k_none; // absolute file offset
    std::uint64_t stop_after = k_none; // close the connection after this many bytes
    std::uint64_t stall_after = k_none;
    std::chrono::milliseconds stall{0};
    bool stall_close = false;
    double rate = 0;
    std::shared_ptr<HoldGate> hold;
    std::uint64_t sent = 0;
    Clock::time_point started;
    std::vector<char> buffer;
    StopSignal* stop = nullptr;
    RequestLog* log = nullptr;
    std::shared_ptr<RequestRecord> record;

    bool send_chunk(httplib::DataSink& sink) {
        if (sent >= stop_after) return false;
        if (sent >= stall_after) {
            stall_after = k_none;
            if (!stop->sleep_until(Clock::now() + stall) || stall_close) return false;
        }
        if (sent >= actual_len) return false; // declared more than we have: cut the connection
        std::uint64_t n = std::min<std::uint64_t>({buffer.size(), actual_len - sent, stop_after - sent});
        if (stall_after != k_none && stall_after > sent) n = std::min(n, stall_after - sent);
        if (hold) {
            const auto grant = hold->take(n, *stop);
            if (grant.bytes == 0) return false;
            n = grant.bytes;
            // Paced bodies resume at their rate after a hold instead of catching up in a burst.
            if (grant.waited && rate > 0)
                started = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(static_cast<double>(sent) / rate));
        }
        if (rate > 0) {
            // Pace by the ideal schedule: byte k may leave at started + k / rate.
            const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(static_cast<double>(sent) / rate));
            if (due > Clock::now() && !stop->sleep_until(due)) return give_back(n);
        }
        const std::uint64_t off = file_start + sent;
        std::size_t got = 0;
        while (got < n) {
            auto r = fd.pread_some({reinterpret_cast<std::byte*>(buffer.data()) + got, n - got}, off + got);
            if (!r || *r == 0) return give_back(n);
            got += *r;
        }
        if (flipped)
            for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>(~buffer[i]);
        if (corrupt_at >= off && corrupt_at < off + n) buffer[corrupt_at - off] ^= static_cast<char>(0xFF);
        record->mark_write();
        if (!sink.write(buffer.data(), n)) return give_back(n);
        sent += n;
        record->body_bytes += n;
        log->add_sent(n);
        return true;
    }

    // A response that ends without sending `n` granted bytes returns them to its hold.
    bool give_back(std::uint64_t n) {
        if (hold) hold->give_back(n);
        return false;
    }

    bool provide(httplib::DataSink& sink) {
        if (!send_chunk(sink)) return false;
        // Declared less than we have: push the excess too, as a broken server would.
        while (sent >= declared_len && sent < actual_len)
            if (!send_chunk(sink)) return false;
        return true;
    }
};

// The content_encoding fault: the range compressed (gzip) or merely labelled (any other
// encoding), sent whole from memory, as a CDN that ignored Accept-Encoding: identity would.
void serve_encoded(httplib::Response& res, util::UniqueFd& fd, bool flipped, const ByteRange& range,
                   const std::string& encoding, RequestRecord& record) {
    std::string bytes(range.length, '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        auto r = fd.pread_some({reinterpret_cast<std::byte*>(bytes.data()) + got, bytes.size() - got},
                               range.start + got);
        if (!r || *r == 0) break;
        got += *r;
    }
    bytes.resize(got);
    if (flipped)
        for (auto& c : bytes) c = static_cast<char>(~c);
    res.set_header("Content-Encoding", encoding);
    res.set_content(encoding == "gzip" ? gzip(bytes) : bytes, "application/octet-stream");
    record.fault = "content_encoding";
}

} // namespace

RangeResult parse_range(std::string_view h, std::uint64_t size, ByteRange& out) {
    constexpr std::string_view k_prefix = "bytes=";
    if (h.substr(0, k_prefix.size()) != k_prefix) return RangeResult::none;
    h.remove_prefix(k_prefix.size());
    if (h.find(',') != std::string_view::npos) return RangeResult::none;
    auto dash = h.find('-');
    if (dash == std::string_view::npos) return RangeResult::none;
    auto first = h.substr(0, dash), last = h.substr(dash + 1);
    std::uint64_t a = 0, b = 0;
    if (first.empty()) { // suffix: last n bytes
        if (!parse_u64(last, b)) return RangeResult::none;
        if (b == 0 || size == 0) return RangeResult::unsatisfiable;
        b = std::min(b, size);
        out = {size - b, b};
        return RangeResult::ok;
    }
    if (!parse_u64(first, a)) return RangeResult::none;
    if (last.empty()) b = size == 0 ? 0 : size - 1;
    else if (!parse_u64(last, b) || b < a) return RangeResult::none;
    if (a >= size) return RangeResult::unsatisfiable;
    b = std::min(b, size - 1);
    out = {a, b - a + 1};
    return RangeResult::ok;
}

void serve_file(const httplib::Request& req, httplib::Response& res, const FileInfo& file,
                const std::string& range_header, std::optional<FaultRule> fault, BodyContext ctx) {
    ByteRange range{0, file.size};
    RangeResult rr = parse_range(range_header, file.size, range);
    // If-Range with a stale validator means "send the whole current file".
    if (rr != RangeResult::none && req.has_header("If-Range")) {
        std::string v = req.get_header_value("If-Range");
        if (v != "\"" + file.etag() + "\"" && v != file.etag()) rr = RangeResult::none;
    }
    const bool head = req.method == "HEAD";
    if (!head && rr != RangeResult::none && fault && fault->kind == FaultKind::ignore_range) {
        ctx.record->fault = "ignore_range";
        rr = RangeResult::none;
        fault.reset();
    }
    if (rr == RangeResult::unsatisfiable) {
        res.status = 416;
        res.set_header("Content-Range", "bytes */" + std::to_string(file.size));
        return;
    }
    if (rr == RangeResult::none) range = {0, file.size};
    res.status = rr == RangeResult::ok ? 206 : 200;
    if (rr == RangeResult::ok)
        res.set_header("Content-Range", "bytes " + std::to_string(range.start) + "-" +
                                            std::to_string(range.start + range.length - 1) + "/" +
                                            std::to_string(file.size));
    if (range.length == 0) {
        res.set_content("", "application/octet-stream");
        return;
    }
    auto fd = util::UniqueFd::open_read(file.disk);
    if (!fd) {
        res.status = 500;
        res.set_content(R"({"error":"cannot open file"})", "application/json");
        return;
    }
    if (fault && !head && fault->kind == FaultKind::content_encoding)
        return serve_encoded(res, *fd, file.flipped, range, fault->encoding, *ctx.record);
    auto job = std::make_shared<BodyJob>();
    job->fd = std::move(*fd);
    job->file_start = range.start;
    job->actual_len = job->declared_len = range.length;
    job->flipped = file.flipped;
    job->rate = ctx.rate_cap;
    job->stop = &ctx.stop;
    job->log = &ctx.log;
    job->record = ctx.record;
    if (fault && !head) {
        const FaultRule& f = *fault;
        const auto len = range.length;
        auto cut = [&](double default_fraction) {
            if (f.after_bytes >= 0) return std::min<std::uint64_t>(static_cast<std::uint64_t>(f.after_bytes), len);
            double frac = f.after_fraction >= 0 ? f.after_fraction : default_fraction;
            return static_cast<std::uint64_t>(static_cast<double>(len) * std::clamp(frac, 0.0, 1.0));
        };
        switch (f.kind) {
        case FaultKind::drop: job->stop_after = cut(0.5); break;
        case FaultKind::truncate: job->stop_after = cut(0.5); break;
        case FaultKind::stall:
            job->stall_after = cut(0.0);
            job->stall = std::chrono::milliseconds(f.stall_ms);
            job->stall_close = f.stall_close;
            break;
        case FaultKind::corrupt:
            job->corrupt_at = f.offset >= 0 ? static_cast<std::uint64_t>(f.offset) : range.start + len / 2;
            break;
        case FaultKind::rate:
            job->rate = job->rate > 0 ? std::min(job->rate, f.bytes_per_second) : f.bytes_per_second;
            break;
        case FaultKind::hold: job->hold = f.hold; break;
        case FaultKind::wrong_length: {
            auto declared = static_cast<std::int64_t>(len) + f.delta;
            job->declared_len = static_cast<std::uint64_t>(std::max<std::int64_t>(declared, 1));
            break;
        }
        default: break;
        }
        ctx.record->fault = f.to_json()["kind"].get<std::string>();
    }
    // Small chunks under a rate cap keep the pacing smooth (about 50 steps per second).
    std::size_t chunk = k_chunk;
    if (job->rate > 0) chunk = std::clamp<std::size_t>(static_cast<std::size_t>(job->rate / 50), 4096, k_chunk);
    job->buffer.resize(head ? 0 : chunk);
    job->started = Clock::now();
    res.set_content_provider(job->declared_len, "application/octet-stream",
                             [job](std::size_t, std::size_t, httplib::DataSink& sink) { return job->provide(sink); });
}

} // namespace tabagent::fakehub
