// A job waiting for the Hub (429 Retry-After, the host's request budget) says so in its events:
// retryInSeconds and "waiting for the Hub, N s" while it waits, neither once it goes on; the
// first event without it ends the wait. Protocol: docs/PROTOCOL.md, ProgressPayload.retryInSeconds.
#include "core/jobs/job_manager.hpp"
#include "core/wire/wire.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

using namespace tabagent;
using namespace tabagent::jobs;
using namespace std::chrono_literals;

TEST_CASE("jobs: a wait for the Hub shows in the events as retryInSeconds") {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<JobEvent> events;
    JobManager::Options options;
    auto fake_now = std::chrono::steady_clock::time_point{} + 1h;
    options.clock = [&] { return fake_now; }; // no time passes: only changes may emit
    JobManager manager(
        options,
        [](const JobSpec&, JobControl& control) -> Status {
            control.hub_wait(42.0);  // the start of a wait goes out at once
            control.hub_wait(41.5);  // the same whole second, throttled: nothing
            control.hub_wait(std::nullopt); // the end goes out at once
            control.hub_wait(std::nullopt); // not waiting, and was not: nothing
            return {};
        },
        [&](const JobEvent& e) {
            std::lock_guard lock(mutex);
            events.push_back(e);
            cv.notify_all();
        });
    JobSpec spec;
    spec.repo = "org/model";
    spec.files = {"config.json"};
    const auto job = manager.submit(spec, "m1").job_id;
    manager.start(job);
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 30s, [&] { return !events.empty() && is_terminal(events.back().status); }));
    std::vector<nlohmann::json> payloads;
    for (const auto& e : events) payloads.push_back(wire::progress_payload(e));
    // initiate, the wait, its end, done
    REQUIRE(payloads.size() == 4);
    CHECK_FALSE(payloads[0].contains("retryInSeconds"));
    CHECK(payloads[1]["status"] == "progress");
    CHECK(payloads[1]["retryInSeconds"] == 42.0);
    CHECK(payloads[1]["message"] == "waiting for the Hub, 42 s");
    CHECK_FALSE(payloads[2].contains("retryInSeconds"));
    CHECK(payloads[2]["message"] == "");
    CHECK(payloads[3]["status"] == "done");
    CHECK_FALSE(payloads[3].contains("retryInSeconds"));
    CHECK(hub_wait_message(0.2) == "waiting for the Hub, 1 s");
    CHECK(hub_wait_message(std::nullopt).empty());
}
