#pragma once
// Progress on stderr: on a terminal, bars (one per file in flight, then the total) redrawn in
// place at most 10 times a second; otherwise a plain line every few seconds; nothing with
// --quiet. Thread-safe: job events arrive on the job's thread.
#include "core/jobs/job.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tabagent::cli {

class ProgressView {
public:
    enum class Mode { off, tty, plain };
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
    struct FileRate {
        std::chrono::steady_clock::time_point first_time;
        std::uint64_t first_bytes = 0;
        double speed = 0;
    };
    struct State {
        std::uint64_t loaded = 0, total = 0;
        int files_done = 0, files_total = 0;
        double speed = 0;
        std::optional<double> eta;
        std::string file;
        std::string status;
        std::vector<jobs::FileProgress> active;
    };
    void draw_locked(bool force);
    void draw_tty_locked();
    void draw_plain_locked();
    std::vector<std::string> lines_locked();
    int width() const;

    Mode m_mode;
    std::string m_title;
    std::FILE* m_out;
    std::mutex m_mutex;
    State m_state;
    std::map<std::string, FileRate> m_rates;
    std::chrono::steady_clock::time_point m_start, m_last_draw{};
    int m_drawn_lines = 0;
    std::string m_last_line; // plain mode
    bool m_finished = false;
    bool m_dirty = false; // state changed since the last draw
};

// tty when stderr is a terminal, plain otherwise, off with --quiet.
ProgressView::Mode progress_mode(bool quiet, bool stderr_tty);

} // namespace tabagent::cli
