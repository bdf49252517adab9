#pragma once
// A set of half-open byte ranges [begin, end), kept merged. Tracks which bytes of a partial file
// are written (and, in the journal, which are durable).
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace tabagent::download {

class RangeSet {
public:
    void add(std::uint64_t begin, std::uint64_t end);
    void clear() { m_ranges.clear(); }
    // Bytes covered.
    std::uint64_t covered() const;
    // True when every byte of [begin, end) is in the set (an empty range always is).
    bool covers(std::uint64_t begin, std::uint64_t end) const;
    // End of the range that starts at 0 (0 when byte 0 is missing): the contiguous prefix.
    std::uint64_t prefix_end() const;
    // Lowest missing sub-range of [from, limit), or nullopt when all of it is covered.
    std::optional<std::pair<std::uint64_t, std::uint64_t>> first_gap(std::uint64_t from,
                                                                     std::uint64_t limit) const;
    // Drops everything at or beyond `limit`.
    void clip(std::uint64_t limit);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges() const {
        return {m_ranges.begin(), m_ranges.end()};
    }

private:
    std::map<std::uint64_t, std::uint64_t> m_ranges; // begin -> end, disjoint, not touching
};

} // namespace tabagent::download
