#include "core/download/range_set.hpp"

#include <algorithm>

namespace tabagent::download {

void RangeSet::add(std::uint64_t begin, std::uint64_t end) {
    if (begin >= end) return;
    auto it = m_ranges.upper_bound(begin);
    if (it != m_ranges.begin()) {
        auto prev = std::prev(it);
        if (prev->second >= begin) { // overlaps or touches the previous range
            begin = prev->first;
            end = std::max(end, prev->second);
            it = m_ranges.erase(prev);
        }
    }
    while (it != m_ranges.end() && it->first <= end) {
        end = std::max(end, it->second);
        it = m_ranges.erase(it);
    }
    m_ranges.emplace(begin, end);
}

std::uint64_t RangeSet::covered() const {
    std::uint64_t total = 0;
    for (const auto& [b, e] : m_ranges) total += e - b;
    return total;
}

bool RangeSet::covers(std::uint64_t begin, std::uint64_t end) const {
    if (begin >= end) return true;
    auto it = m_ranges.upper_bound(begin);
    if (it == m_ranges.begin()) return false;
    --it;
    return it->first <= begin && it->second >= end;
}

std::uint64_t RangeSet::prefix_end() const {
    if (m_ranges.empty() || m_ranges.begin()->first != 0) return 0;
    return m_ranges.begin()->second;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> RangeSet::first_gap(std::uint64_t from,
                                                                           std::uint64_t limit) const {
    std::uint64_t cursor = from;
    auto it = m_ranges.upper_bound(from);
    if (it != m_ranges.begin()) {
        auto prev = std::prev(it);
        if (prev->second > cursor) cursor = prev->second;
    }
    if (cursor >= limit) return std::nullopt;
    const std::uint64_t gap_end = it == m_ranges.end() ? limit : std::min(limit, it->first);
    return std::make_pair(cursor, gap_end);
}

void RangeSet::clip(std::uint64_t limit) {
    auto it = m_ranges.lower_bound(limit);
    m_ranges.erase(it, m_ranges.end());
    if (!m_ranges.empty()) {
        auto last = std::prev(m_ranges.end());
        if (last->second > limit) last->second = limit;
    }
}

} // namespace tabagent::download
