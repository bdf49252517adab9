#pragma once
// Progress on stderr: on a terminal, bars (one per file in flight, then the total) redrawn in
// place at most 10 times a second; otherwise a plain line every few seconds; nothing with
// --quiet. Thread-safe: job events arrive on the job's thread. Speeds and ETAs are the ones the
// events carry (the job manager's meters); only work that is not a job (verify) is metered here,
// with the same util::SpeedMeter.
#include "core/jobs/job.hpp"
#include "core/util/speed_meter.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::cli {

class ProgressView {
public:
    enum class Mode { off, tty, plain };
    // Mode::tty falls back to Mode::plain when `out` takes no VT sequences
    // (platform::enable_vt_sequences).
    ProgressView(Mode mode, std::string title, std::FILE* out = stderr);
    ~ProgressView();
    ProgressView(const ProgressView&) = delete;
    ProgressView& operator=(const ProgressView&) = delete;

    void on_event(const jobs::JobEvent& event);
    // For work that is not a job (verify): bytes done of total.
    void on_bytes(std::uint64_t done, std::uint64_t total);
    // Draws the last state for good and leaves the cursor on a fresh line.
    void finish();

private:
    void draw_locked(bool force);
    void draw_tty_locked();
    void draw_plain_locked();
    std::vector<std::string> lines_locked();
    int width() const;

    Mode m_mode;
    std::string m_title;
    std::FILE* m_out;
    std::mutex m_mutex;
    jobs::JobProgress m_state;
    jobs::EventKind m_status = jobs::EventKind::progress;
    util::SpeedMeter m_meter; // on_bytes only
    std::chrono::steady_clock::time_point m_last_draw{};
    int m_drawn_lines = 0;
    std::string m_last_line; // plain mode
    bool m_finished = false;
    bool m_dirty = false; // state changed since the last draw
};

// tty when stderr is a terminal, plain otherwise, off with --quiet.
ProgressView::Mode progress_mode(bool quiet, bool stderr_tty);

} // namespace tabagent::cli
