#pragma once
// Which byte range a free connection of a transfer fetches next (DESIGN §7). Pieces are handed
// out in ascending file order, so the finished prefix (what can be hashed) grows steadily; when
// no gap is left, the lagging last piece is split onto the free connection (`split_tail`). Pure:
// the caller describes the transfer's connections, the planner answers.
#include "core/download/engine.hpp"
#include "core/download/range_set.hpp"

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <optional>
#include <span>

namespace tabagent::download {

// A connection of the transfer as the planner sees it.
struct ActiveRange {
    std::uint64_t pos = 0;   // next byte it receives
    std::uint64_t limit = 0; // one past the last byte it writes
    bool measurable = false; // a good 2xx body is arriving and the connection is not being dropped
    double age_seconds = 0;  // since the answer's first byte (since it was opened, before that)
    std::uint64_t received = 0;
    std::optional<double> recent_speed; // bytes/s over the last speed window, once measured
    std::uint64_t unwritten = 0; // received bytes before pos not yet written (still its own)
};

struct Assignment {
    enum class Kind {
        gap,       // the lowest unclaimed range, at most one piece
        halve,     // nothing measured yet: the lagging connection keeps the first half
        split,     // the lagging connection keeps [its pos, begin), the new one takes the rest
        take_over, // the lagging connection is dropped, the new one takes its whole remainder
    };
    Kind kind = Kind::gap;
    std::uint64_t begin = 0, end = 0; // the new connection's range
    std::size_t lagging = 0;          // halve/split/take_over: index into the connections given
};

class SegmentPlanner {
public:
    // A file gets one connection per min_segment_size bytes (at least 1, at most
    // max_connections_per_file) and pieces of about size / connections (start_connections at
    // most), between min_segment_size and piece_size. After the first wave (a whole piece has
    // finished), once less than a piece per connection is left unclaimed, pieces shrink to an
    // even share of the rest among the most connections the transfer has had open (never below
    // min_segment_size), so the connections run out of work together instead of up to a piece's
    // worth apart (at 20 MiB/s a 16 MiB piece is 0.8 s).
    SegmentPlanner(std::uint64_t size, const EngineOptions& options);

    int connection_cap() const { return m_connection_cap; }
    std::uint64_t piece() const { return m_piece; }
    // Bytes/s one connection reached on recent whole pieces (moving average); 0 = none yet.
    double fresh_speed() const { return m_fresh_speed; }
    void record_piece_speed(double bytes_per_second);
    // Seconds from a request to its first body byte (moving average); 0 = none yet. A slow first
    // byte (a Xet bridge rebuilding the file) makes every new request expensive: gaps are then
    // handed out in fewer, longer ranges and a split must also pay for the wait.
    double first_byte_seconds() const { return m_first_byte; }
    void record_first_byte(double seconds);
    // The transfer has `count` connections open now: the most of these is how many share the end.
    void record_connections(int count) { m_peak_connections = std::max(m_peak_connections, count); }
    int peak_connections() const { return m_peak_connections; }

    // What one more connection should fetch, or nullopt when none should open (cap reached, a
    // single stream running, nothing worth splitting). `single_stream`: the server ignored Range,
    // one stream fetches from byte 0. `rate_limited`: every connection is slow on purpose, so
    // the tail is never split.
    std::optional<Assignment> next(const RangeSet& done, std::span<const ActiveRange> active,
                                   bool single_stream, bool rate_limited) const;

private:
    std::optional<Assignment> split_tail(std::span<const ActiveRange> active) const;

    std::uint64_t m_size;
    std::uint64_t m_min_piece;
    std::uint64_t m_tail_split_min;
    std::chrono::milliseconds m_tail_split_eta;
    int m_connection_cap = 1;
    std::uint64_t m_piece = 1;
    double m_fresh_speed = 0;
    double m_first_byte = 0;
    int m_peak_connections = 0;
};

} // namespace tabagent::download
