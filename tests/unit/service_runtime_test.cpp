#include "core/service/runtime.hpp"

#include "cache_test_util.hpp"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

using namespace tabagent;
using namespace std::chrono_literals;

TEST_CASE("service: a runtime runs its jobs through the model service and journals them in the data dir") {
    cache_test::TempDir dir;
    Config config;
    config.cache_root = dir.path() / "cache";
    config.data_dir = dir.path() / "home";
    config.offline = true;
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<jobs::JobEvent> terminal;
    service::Runtime runtime(config, [&](const jobs::JobEvent& e) {
        if (!is_terminal(e.status)) return;
        std::lock_guard lock(mutex);
        terminal = e;
        cv.notify_all();
    });
    CHECK(runtime.models.config().cache_root == config.cache_root);
    jobs::JobSpec spec;
    spec.kind = jobs::JobKind::verify;
    spec.repo = "*";
    auto id = runtime.jobs.submit(spec, nullptr).job_id;
    CHECK(std::filesystem::exists(config.jobs_dir() / (id + ".json"))); // journaled until it ends
    runtime.jobs.start(id);
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 30s, [&] { return terminal.has_value(); }));
    CHECK(terminal->status == jobs::EventKind::done);
    CHECK(terminal->result["ok"] == 0); // the verify report, in the wire's shape
    CHECK(terminal->result["problems"].empty());
    CHECK_FALSE(std::filesystem::exists(config.jobs_dir() / (id + ".json")));
}

TEST_CASE("service: job options come from the config") {
    Config config;
    config.data_dir = "/data";
    config.max_parallel_jobs = 5;
    auto options = service::job_options(config);
    CHECK(options.max_parallel == 5);
    CHECK(options.journal_dir == config.jobs_dir());
}
