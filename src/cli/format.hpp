#pragma once
// Human-readable numbers and aligned tables for the terminal (the look of `hf cache scan` and
// `ollama list`): decimal sizes ("4.7 GB"), speeds, durations, "3 days ago".
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace tabagent::cli {

std::string human_size(std::uint64_t bytes);          // "0 B", "512 B", "1.5 kB", "4.7 GB"
std::string human_speed(double bytes_per_second);     // "12.3 MB/s"
std::string human_duration(double seconds);           // "45s", "3m12s", "1h05m"
// "just now", "5 minutes ago", "3 days ago"; "-" for the epoch (unknown).
std::string human_age(std::chrono::system_clock::time_point t,
                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Columns padded to their widest cell; numeric columns right-aligned.
class Table {
public:
    explicit Table(std::vector<std::string> headers, std::vector<bool> right_aligned = {});
    void add(std::vector<std::string> row);
    bool empty() const { return m_rows.empty(); }
    void print(std::ostream& out) const;

private:
    std::vector<std::string> m_headers;
    std::vector<bool> m_right;
    std::vector<std::vector<std::string>> m_rows;
};

// Display width of UTF-8 text (code points; the names we print are ASCII or narrow).
std::size_t display_width(const std::string& s);

} // namespace tabagent::cli
