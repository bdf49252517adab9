#include "core/jobs/job_manager.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

using namespace tabagent;
using namespace tabagent::jobs;
using namespace std::chrono_literals;

TEST_CASE("jobs: progress events carry the files in flight, the terminal event none") {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<JobEvent> events;
    JobManager::Options options;
    options.progress_interval = 0ms; // every report becomes an event
    JobManager manager(
        options,
        [](const JobSpec&, JobControl& ctl) -> Status {
            ctl.set_totals(300, 2);
            ctl.set_active_files({{"a.bin", 50, 100}, {"b.bin", 20, 200}});
            ctl.report(70, "a.bin", 0);
            return {};
        },
        [&](const JobEvent& e) {
            std::lock_guard lock(mutex);
            events.push_back(e);
            cv.notify_all();
        });
    JobSpec spec;
    spec.repo = "org/model";
    spec.files = {"a.bin", "b.bin"};
    auto id = manager.submit(spec, nullptr).job_id;
    manager.start(id);
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 30s, [&] { return !events.empty() && events.back().status == "done"; }));
    const JobEvent* progress = nullptr;
    for (const auto& e : events)
        if (e.status == "progress") progress = &e;
    REQUIRE(progress != nullptr);
    REQUIRE(progress->active_files.size() == 2);
    CHECK(progress->active_files[0].path == "a.bin");
    CHECK(progress->active_files[0].loaded == 50);
    CHECK(progress->active_files[1].total == 200);
    CHECK(events.back().active_files.empty());
}
