#include "cli/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tabagent::cli {

std::string human_size(std::uint64_t bytes) {
    static constexpr const char* k_units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    if (bytes < 1000) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes);
    int unit = 0;
    while (v >= 999.95 && unit < 5) {
        v /= 1000;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, k_units[unit]);
    return buf;
}

std::string human_speed(double bytes_per_second) {
    if (!(bytes_per_second > 0)) return "-";
    return human_size(static_cast<std::uint64_t>(bytes_per_second)) + "/s";
}

std::string human_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "-";
    auto s = static_cast<long long>(std::llround(seconds));
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%llds", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
    return buf;
}

std::string human_age(std::chrono::system_clock::time_point t, std::chrono::system_clock::time_point now) {
    if (t == std::chrono::system_clock::time_point{}) return "-";
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
    if (secs < 0) secs = 0;
    auto plural = [](long long n, const char* unit) {
        return std::to_string(n) + " " + unit + (n == 1 ? "" : "s") + " ago";
    };
    if (secs < 60) return "just now";
    if (secs < 3600) return plural(secs / 60, "minute");
    if (secs < 86400) return plural(secs / 3600, "hour");
    if (secs < 86400 * 30) return plural(secs / 86400, "day");
    if (secs < 86400 * 365) return plural(secs / (86400 * 30), "month");
    return plural(secs / (86400 * 365), "year");
}

std::size_t display_width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

Table::Table(std::vector<std::string> headers, std::vector<bool> right_aligned)
    : m_headers(std::move(headers)), m_right(std::move(right_aligned)) {
    m_right.resize(m_headers.size(), false);
}

void Table::add(std::vector<std::string> row) {
    row.resize(m_headers.size());
    m_rows.push_back(std::move(row));
}

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> widths(m_headers.size());
    for (std::size_t c = 0; c < m_headers.size(); ++c) widths[c] = display_width(m_headers[c]);
    for (const auto& row : m_rows)
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            std::string pad(widths[c] - display_width(cells[c]), ' ');
            bool last = c + 1 == cells.size();
            if (m_right[c]) text += pad + cells[c];
            else text += cells[c] + (last ? "" : pad);
            if (!last) text += "   ";
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << '\n';
    };
    line(m_headers);
    for (const auto& row : m_rows) line(row);
}

} // namespace tabagent::cli
