#include "core/download/segment_planner.hpp"

#include <algorithm>

namespace tabagent::download {
namespace {

constexpr std::uint64_t k_split_floor = 64u << 10; // never split or take over less than this
constexpr double k_split_min_age = 0.3;  // s a connection runs before its speed counts
constexpr double k_split_startup = 0.05; // s a fresh connection needs for its first byte
// A first byte slower than this makes a request cost more than the pieces are worth: the Hub's
// CDN answers in well under a second, a Xet bridge in up to a minute (issue 13).
constexpr double k_slow_first_byte = 1.0;

} // namespace

SegmentPlanner::SegmentPlanner(std::uint64_t size, const EngineOptions& options)
    : m_size(size), m_min_piece(std::max<std::uint64_t>(options.min_segment_size, 1)), m_tail_split_min(options.tail_split_min), m_tail_split_eta(options.tail_split_eta) {
    const std::uint64_t by_size = size / std::max<std::uint64_t>(options.min_segment_size, 1);
    m_connection_cap = static_cast<int>(std::clamp<std::uint64_t>(
        by_size, 1, static_cast<std::uint64_t>(std::max(options.max_connections_per_file, 1))));
    // Pieces are sized for the connections the engine starts with, not for its ceiling: the
    // count only grows once the transfer has run a while (a 256 MiB file on a fast link is done
    // before that, and twice the requests there cost a first-byte wait each).
    const auto connections = static_cast<std::uint64_t>(std::min(m_connection_cap, std::max(options.start_connections, 1)));
    const std::uint64_t even = (size + connections - 1) / connections;
    m_piece = std::max<std::uint64_t>(
        1, std::min(options.piece_size, std::max(options.min_segment_size, even)));
}

void SegmentPlanner::record_first_byte(double seconds) {
    m_first_byte = m_first_byte == 0 ? seconds : 0.5 * m_first_byte + 0.5 * seconds;
}

void SegmentPlanner::record_piece_speed(double bytes_per_second) {
    m_fresh_speed = m_fresh_speed == 0 ? bytes_per_second : 0.5 * m_fresh_speed + 0.5 * bytes_per_second;
}

std::optional<Assignment> SegmentPlanner::next(const RangeSet& done, std::span<const ActiveRange> active,
                                               bool single_stream, bool rate_limited) const {
    if (static_cast<int>(active.size()) >= m_connection_cap) return std::nullopt;
    if (single_stream && !active.empty()) return std::nullopt;
    RangeSet claimed = done;
    for (const auto& range : active) claimed.add(range.pos - range.unwritten, range.limit);
    if (auto gap = claimed.first_gap(0, m_size)) {
        std::uint64_t piece = m_piece;
        if (m_fresh_speed > 0) { // the first wave is over: share what is left among those running
            const auto connections = static_cast<std::uint64_t>(
                std::clamp(std::max(static_cast<int>(active.size()) + 1, m_peak_connections), 1, m_connection_cap));
            const std::uint64_t unclaimed = m_size - claimed.covered();
            piece = std::min(piece, std::max(m_min_piece, (unclaimed + connections - 1) / connections));
        }
        if (m_first_byte >= k_slow_first_byte) { // share the gap among the free connections
            const auto free = static_cast<std::uint64_t>(m_connection_cap - static_cast<int>(active.size()));
            piece = std::max(piece, (gap->second - gap->first + free - 1) / free);
        }
        const std::uint64_t end = single_stream ? m_size : std::min(gap->second, gap->first + piece);
        return Assignment{Assignment::Kind::gap, gap->first, end, 0};
    }
    if (single_stream || rate_limited) return std::nullopt;
    return split_tail(active);
}

// The end game: no gap is left, yet a connection is free. A lagging piece is split in proportion
// to the speeds, so that the lagging connection and a fresh one (expected to run at the speed
// recent pieces ran at) finish together; a piece the lagging connection would hardly contribute
// to is taken over whole. This keeps the last percent as quick as the others. Each byte is
// still written by exactly one connection.
std::optional<Assignment> SegmentPlanner::split_tail(std::span<const ActiveRange> active) const {
    std::optional<std::size_t> slowest;
    double worst_eta = 0, slowest_speed = 0;
    for (std::size_t i = 0; i < active.size(); ++i) {
        const ActiveRange& c = active[i];
        const std::uint64_t remaining = c.limit > c.pos ? c.limit - c.pos : 0;
        if (remaining < k_split_floor || !c.measurable || c.age_seconds < k_split_min_age) continue;
        // The recent speed tells a lagging connection (slow now) from one that merely shared
        // the client's CPU with many others (fast now that they are done: no split needed).
        const double speed = c.recent_speed ? *c.recent_speed : static_cast<double>(c.received) / c.age_seconds;
        const double eta = speed > 0 ? static_cast<double>(remaining) / speed : 1e9;
        if (eta > worst_eta) {
            worst_eta = eta;
            slowest = i;
            slowest_speed = speed;
        }
    }
    if (!slowest) return std::nullopt;
    const std::uint64_t begin = active[*slowest].pos;
    const std::uint64_t end = active[*slowest].limit;
    const double remaining = static_cast<double>(end - begin);
    const double startup = std::max(k_split_startup, m_first_byte); // the new request's wait
    if (m_fresh_speed <= 0) {
        // Nothing measured yet: halve only a clearly late piece.
        if (end - begin < 2 * m_tail_split_min ||
            worst_eta * 1000 < static_cast<double>(m_tail_split_eta.count()) + 1000 * m_first_byte)
            return std::nullopt;
        return Assignment{Assignment::Kind::halve, begin + (end - begin) / 2, end, *slowest};
    }
    const double together = remaining / (slowest_speed + m_fresh_speed) + startup;
    if (worst_eta < 1.5 * together + startup) return std::nullopt; // not worth a connection
    const auto keep =
        static_cast<std::uint64_t>(remaining * slowest_speed / (slowest_speed + m_fresh_speed));
    if (keep < k_split_floor || keep * 8 < end - begin)
        return Assignment{Assignment::Kind::take_over, begin, end, *slowest};
    return Assignment{Assignment::Kind::split, begin + keep, end, *slowest};
}

} // namespace tabagent::download
