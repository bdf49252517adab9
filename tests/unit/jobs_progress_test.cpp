// The files in flight that events carry, with the job manager's speeds and ETAs, on a fake clock the
// runner moves: every meter reading is at a known time, so the values are exact.
#include "core/jobs/job_manager.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

using namespace tabagent;
using namespace tabagent::jobs;
using namespace std::chrono_literals;

namespace {
struct FakeClock {
    std::atomic<std::int64_t> ms{0};
    std::function<JobManager::Clock::time_point()> function() {
        return [this] { return JobManager::Clock::time_point(std::chrono::milliseconds(ms.load())); };
    }
};

// Runs one job to its terminal event; returns every event.
std::vector<JobEvent> run_one(FakeClock& clock, Runner runner) {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<JobEvent> events;
    JobManager::Options options;
    options.progress_interval = 0ms; // every report is an event
    options.clock = clock.function();
    JobManager manager(options, std::move(runner), [&](const JobEvent& e) {
        std::lock_guard lock(mutex);
        events.push_back(e);
        cv.notify_all();
    });
    JobSpec spec;
    spec.repo = "org/model";
    spec.files = {"a.bin", "b.bin"};
    manager.start(manager.submit(spec, nullptr).job_id);
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 30s, [&] { return !events.empty() && is_terminal(events.back().status); }));
    return events;
}
} // namespace

TEST_CASE("jobs: progress events carry the files in flight, the terminal event none") {
    FakeClock clock;
    auto events = run_one(clock, [](const JobSpec&, JobControl& ctl) -> Status {
        ctl.set_totals(300, 2);
        ctl.set_active_files({{"a.bin", 50, 100}, {"b.bin", 20, 200}});
        ctl.report(70, "a.bin", 0);
        return {};
    });
    REQUIRE(events.back().status == EventKind::done);
    const JobEvent* progress = nullptr;
    for (const auto& e : events)
        if (e.status == EventKind::progress) progress = &e;
    REQUIRE(progress != nullptr);
    REQUIRE(progress->active_files.size() == 2);
    CHECK(progress->active_files[0].path == "a.bin");
    CHECK(progress->active_files[0].loaded == 50);
    CHECK(progress->active_files[1].total == 200);
    CHECK(events.back().active_files.empty());
}

TEST_CASE("jobs: per-file speeds add up to the job's speed, on one clock and one window") {
    FakeClock clock;
    // a.bin at 1000 B/s, then 2000 B/s after 1 s; b.bin steady at 3000 B/s. 100 ms ticks for 2 s.
    auto events = run_one(clock, [&](const JobSpec&, JobControl& ctl) -> Status {
        ctl.set_totals(20'000, 2);
        std::uint64_t a = 0, b = 0;
        for (int tick = 0; tick <= 20; ++tick) {
            clock.ms = tick * 100;
            ctl.set_active_files({{"a.bin", a, 10'000}, {"b.bin", b, 10'000}});
            ctl.report(a + b, "b.bin", 0);
            a += tick < 10 ? 100 : 200;
            b += 300;
        }
        return {};
    });
    int checked = 0;
    for (const auto& e : events) {
        if (e.status != EventKind::progress || e.active_files.size() != 2) continue;
        CHECK(e.active_files[0].bytes_per_second + e.active_files[1].bytes_per_second ==
              doctest::Approx(e.bytes_per_second));
        ++checked;
    }
    CHECK(checked == 21);
    // The last progress event: 2 s of history in a 3 s window.
    const JobEvent* last = nullptr;
    for (const auto& e : events)
        if (e.status == EventKind::progress) last = &e;
    REQUIRE(last != nullptr);
    REQUIRE(last->active_files.size() == 2);
    const auto& a = last->active_files[0];
    const auto& b = last->active_files[1];
    CHECK(a.loaded == 3'000);
    CHECK(a.bytes_per_second == doctest::Approx(1'500)); // 3000 B over 2 s
    CHECK(b.bytes_per_second == doctest::Approx(3'000));
    CHECK(last->bytes_per_second == doctest::Approx(4'500));
    REQUIRE(a.eta_seconds.has_value());
    CHECK(*a.eta_seconds == doctest::Approx(7'000.0 / 1'500));
    REQUIRE(last->eta_seconds.has_value());
    CHECK(*last->eta_seconds == doctest::Approx((20'000.0 - 9'000) / 4'500));
    // Terminal events carry no ETA.
    CHECK(events.back().status == EventKind::done);
    CHECK_FALSE(events.back().eta_seconds.has_value());
}

TEST_CASE("jobs: speeds look back one window; a file that leaves the set leaves its meter") {
    FakeClock clock;
    auto events = run_one(clock, [&](const JobSpec&, JobControl& ctl) -> Status {
        ctl.set_totals(100'000, 2);
        std::uint64_t a = 0;
        for (int tick = 0; tick <= 50; ++tick) { // 5 s: 1000 B/s for 2 s, then 4000 B/s
            clock.ms = tick * 100;
            ctl.set_active_files({{"a.bin", a, 100'000}});
            ctl.report(a, "a.bin", 0);
            a += tick < 20 ? 100 : 400;
        }
        // a.bin is done; b.bin starts: its meter starts empty, so no speed yet.
        ctl.set_active_files({{"b.bin", 0, 1'000}});
        ctl.report(a, "b.bin", 1);
        return {};
    });
    const JobEvent* at_5s = nullptr;
    const JobEvent* after = nullptr;
    for (const auto& e : events) {
        if (e.status != EventKind::progress || e.active_files.empty()) continue;
        if (e.active_files[0].path == "a.bin") at_5s = &e;
        else after = &e;
    }
    REQUIRE(at_5s != nullptr);
    // Window 3 s ending at 5 s: from t=2 s (2000 B) to t=5 s (14000 B).
    CHECK(at_5s->bytes_per_second == doctest::Approx(4'000));
    CHECK(at_5s->active_files[0].bytes_per_second == doctest::Approx(4'000));
    REQUIRE(after != nullptr);
    CHECK(after->active_files[0].bytes_per_second == 0);
    CHECK_FALSE(after->active_files[0].eta_seconds.has_value());
}
