#include "core/jobs/job.hpp"

#include <doctest/doctest.h>

using namespace tabagent::jobs;

TEST_CASE("jobs: event kinds spell the wire's statuses, and three of them end a job") {
    const std::pair<EventKind, const char*> kinds[] = {
        {EventKind::queued, "queued"}, {EventKind::initiate, "initiate"}, {EventKind::progress, "progress"},
        {EventKind::paused, "paused"}, {EventKind::done, "done"},         {EventKind::error, "error"},
        {EventKind::cancelled, "cancelled"}};
    for (const auto& entry : kinds) {
        // Plain names, not a structured binding: CAPTURE's lambda cannot capture a binding in clang 14.
        const EventKind kind = entry.first;
        const char* const name = entry.second;
        CAPTURE(name);
        CHECK(to_string(kind) == name);
        const std::string_view n = name;
        CHECK(is_terminal(kind) == (n == "done" || n == "error" || n == "cancelled"));
    }
}

TEST_CASE("jobs: job statuses and kinds keep their names") {
    CHECK(to_string(JobStatus::running) == "running");
    CHECK(is_terminal(JobStatus::cancelled));
    CHECK_FALSE(is_terminal(JobStatus::paused));
    JobKind kind = JobKind::download_files;
    CHECK(parse_job_kind("verify", kind));
    CHECK(kind == JobKind::verify);
    CHECK_FALSE(parse_job_kind("nope", kind));
    CHECK(kind == JobKind::verify);
}
