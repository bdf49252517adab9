#pragma once
// The core as an edge runs it: the model service and the job manager whose runner is the
// service's run_job, journaling in <data dir>/jobs with the configured number of parallel jobs.
// The host and the CLI each own one; only what they do with the events differs.
#include "core/config.hpp"
#include "core/jobs/job_manager.hpp"
#include "core/service/service.hpp"

namespace tabagent::service {

// The job manager's options for `config`: journal dir, max parallel jobs.
jobs::JobManager::Options job_options(const Config& config);

struct Runtime {
    // `on_event` gets every job event, on the job's thread. `options` defaults to
    // job_options(config); tests pass their own (a fake clock, a shorter interval).
    Runtime(const Config& config, jobs::EventSink on_event);
    Runtime(const Config& config, jobs::EventSink on_event, jobs::JobManager::Options options);
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    ModelService models; // first: outlives the manager's threads, which run its jobs
    jobs::JobManager jobs;
};

} // namespace tabagent::service
