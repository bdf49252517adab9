#include "cli/progress.hpp"

#include "cli/format.hpp"

#include "core/platform/console.hpp"

#include <algorithm>
#include <cmath>

namespace tabagent::cli {
namespace {
using Clock = std::chrono::steady_clock;
constexpr auto k_tty_interval = std::chrono::milliseconds(100); // at most 10 redraws a second
constexpr auto k_plain_interval = std::chrono::seconds(2);
constexpr std::size_t k_max_file_lines = 4;

std::string bar(double fraction, int cells) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    int full = static_cast<int>(std::floor(fraction * cells));
    std::string s = "[";
    for (int i = 0; i < cells; ++i) s += i < full ? '#' : (i == full ? '>' : '.');
    if (full >= cells) s.back() = '#';
    return s + "]";
}

std::string percent(std::uint64_t done, std::uint64_t total) {
    double p = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%3.0f%%", std::floor(p));
    return buf;
}

std::string fit(const std::string& s, std::size_t width) {
    if (display_width(s) <= width || width < 4) return s;
    return "..." + s.substr(s.size() - (width - 3));
}

// "waiting for the Hub, 42 s" while the job waits (429 Retry-After, the host's request budget).
std::string hub_wait(const jobs::JobProgress& state) { return jobs::hub_wait_message(state.retry_in_seconds); }

std::string pad_right(std::string s, std::size_t width) {
    auto w = display_width(s);
    if (w < width) s.append(width - w, ' ');
    return s;
}
} // namespace

ProgressView::Mode progress_mode(bool quiet, bool stderr_tty) {
    if (quiet) return ProgressView::Mode::off;
    return stderr_tty ? ProgressView::Mode::tty : ProgressView::Mode::plain;
}

ProgressView::ProgressView(Mode mode, std::string title, std::FILE* out)
    : m_mode(mode), m_title(std::move(title)), m_out(out) {
    // Bars redraw in place with VT sequences; a console that cannot take them (Windows before
    // 10) gets the plain lines instead of escape codes shown as text.
    if (m_mode == Mode::tty && !platform::enable_vt_sequences(platform::descriptor_of(m_out))) m_mode = Mode::plain;
}

ProgressView::~ProgressView() { finish(); }

int ProgressView::width() const {
    if (auto columns = platform::terminal_width(platform::descriptor_of(m_out)); columns && *columns >= 40)
        return std::min(*columns, 160);
    return 100;
}

void ProgressView::on_event(const jobs::JobEvent& e) {
    std::lock_guard lock(m_mutex);
    if (m_mode == Mode::off || m_finished) return;
    const bool wait_changed = e.retry_in_seconds.has_value() != m_state.retry_in_seconds.has_value();
    m_state = e;
    m_status = e.status;
    if (e.status == jobs::EventKind::done) {
        m_state.loaded = m_state.total;
        m_state.active_files.clear();
    }
    m_dirty = true;
    // A wait for the Hub starting or ending is shown at once, even on the plain 2 s cadence.
    draw_locked(is_terminal(e.status) || e.status == jobs::EventKind::initiate || wait_changed);
}

void ProgressView::on_bytes(std::uint64_t done, std::uint64_t total) {
    std::lock_guard lock(m_mutex);
    if (m_mode == Mode::off || m_finished) return;
    m_state.loaded = done;
    m_state.total = total;
    m_status = done >= total ? jobs::EventKind::done : jobs::EventKind::progress;
    m_meter.record(done, Clock::now());
    m_state.bytes_per_second = m_meter.bytes_per_second();
    m_state.eta_seconds = m_meter.eta_seconds(total - std::min(done, total));
    m_dirty = true;
    draw_locked(done >= total);
}

void ProgressView::finish() {
    std::lock_guard lock(m_mutex);
    if (m_mode == Mode::off || m_finished) return;
    if (m_dirty) draw_locked(true);
    if (m_mode == Mode::tty && m_drawn_lines > 0) std::fputc('\n', m_out);
    std::fflush(m_out);
    m_finished = true;
}

void ProgressView::draw_locked(bool force) {
    auto now = Clock::now();
    auto interval = m_mode == Mode::tty ? std::chrono::duration_cast<Clock::duration>(k_tty_interval)
                                        : std::chrono::duration_cast<Clock::duration>(k_plain_interval);
    if (!force && now - m_last_draw < interval) return;
    m_last_draw = now;
    m_dirty = false;
    if (m_mode == Mode::tty) draw_tty_locked();
    else draw_plain_locked();
    std::fflush(m_out);
}

std::vector<std::string> ProgressView::lines_locked() {
    const int w = width();
    std::vector<std::string> lines;
    const int bar_cells = std::clamp(w / 8, 10, 24);
    // Per-file lines: name, bar, percent, bytes, speed, ETA.
    std::size_t shown = 0;
    for (const auto& f : m_state.active_files) {
        if (shown == k_max_file_lines) {
            lines.push_back("  ... and " + std::to_string(m_state.active_files.size() - shown) + " more");
            break;
        }
        ++shown;
        std::string eta = f.eta_seconds ? "  ETA " + human_duration(*f.eta_seconds) : "";
        std::string tail = " " + bar(f.total ? static_cast<double>(f.loaded) / static_cast<double>(f.total) : 0, bar_cells) +
                           " " + percent(f.loaded, f.total) + "  " + human_size(f.loaded) + " / " + human_size(f.total) +
                           "  " + human_speed(f.bytes_per_second) + eta;
        std::size_t name_width = static_cast<std::size_t>(std::max(12, w - static_cast<int>(display_width(tail)) - 3));
        name_width = std::min<std::size_t>(name_width, 40);
        lines.push_back("  " + pad_right(fit(f.path, name_width), name_width) + tail);
    }
    std::string files = m_state.files_total ? "  " + std::to_string(m_state.files_done) + "/" +
                                                  std::to_string(m_state.files_total) + " files"
                                            : "";
    std::string eta = m_state.eta_seconds && m_status != jobs::EventKind::done ? "  ETA " + human_duration(*m_state.eta_seconds) : "";
    if (const auto wait = hub_wait(m_state); !wait.empty()) eta = "  " + wait;
    std::string tail = " " +
                       bar(m_state.total ? static_cast<double>(m_state.loaded) / static_cast<double>(m_state.total)
                                         : (m_status == jobs::EventKind::done ? 1.0 : 0.0),
                           bar_cells) +
                       " " + (m_state.total || m_status != jobs::EventKind::done ? percent(m_state.loaded, m_state.total) : "100%") +
                       "  " + human_size(m_state.loaded) + " / " + human_size(m_state.total) + "  " +
                       human_speed(m_state.bytes_per_second) + eta + files;
    auto title_width = static_cast<std::size_t>(std::max(16, w - 1 - static_cast<int>(display_width(tail))));
    lines.push_back(fit(m_title, title_width) + tail);
    for (auto& l : lines)
        if (static_cast<int>(display_width(l)) > w - 1) l = l.substr(0, static_cast<std::size_t>(w - 1));
    return lines;
}

void ProgressView::draw_tty_locked() {
    auto lines = lines_locked();
    std::string out;
    // Back to the first line drawn last time, then rewrite every line (clearing leftovers).
    if (m_drawn_lines > 1) out += "\x1b[" + std::to_string(m_drawn_lines - 1) + "A";
    int count = static_cast<int>(lines.size());
    for (int i = 0; i < std::max(count, m_drawn_lines); ++i) {
        out += "\r\x1b[2K";
        if (i < count) out += lines[static_cast<std::size_t>(i)];
        if (i + 1 < std::max(count, m_drawn_lines)) out += "\n";
    }
    // Stale lines below (fewer files now): cursor back up to the last real line.
    if (m_drawn_lines > count) out += "\x1b[" + std::to_string(m_drawn_lines - count) + "A";
    m_drawn_lines = std::max(count, 1);
    std::fputs(out.c_str(), m_out);
}

void ProgressView::draw_plain_locked() {
    const std::string wait = hub_wait(m_state);
    if (m_state.total == 0 && m_status != jobs::EventKind::done && wait.empty()) return; // nothing planned yet
    std::string eta = m_state.eta_seconds && m_status != jobs::EventKind::done ? ", ETA " + human_duration(*m_state.eta_seconds) : "";
    if (!wait.empty()) eta = ", " + wait;
    std::string files = m_state.files_total ? " (" + std::to_string(m_state.files_done) + "/" +
                                                  std::to_string(m_state.files_total) + " files)"
                                            : "";
    std::string speed = m_state.bytes_per_second > 0 ? " at " + human_speed(m_state.bytes_per_second) : "";
    std::string line = m_title + ": " +
                       (m_state.total || m_status != jobs::EventKind::done ? percent(m_state.loaded, m_state.total) : "100%") +
                       " " + human_size(m_state.loaded) + " / " + human_size(m_state.total) + speed + eta + files;
    if (line == m_last_line) return; // a repeated final report says nothing new
    m_last_line = line;
    std::fprintf(m_out, "%s\n", line.c_str());
    m_drawn_lines = 1;
}

} // namespace tabagent::cli
