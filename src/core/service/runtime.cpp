#include "core/service/runtime.hpp"

namespace tabagent::service {

jobs::JobManager::Options job_options(const Config& config) {
    jobs::JobManager::Options options;
    options.max_parallel = config.max_parallel_jobs;
    options.journal_dir = config.jobs_dir();
    return options;
}

Runtime::Runtime(const Config& config, jobs::EventSink on_event)
    : Runtime(config, std::move(on_event), job_options(config)) {}

Runtime::Runtime(const Config& config, jobs::EventSink on_event, jobs::JobManager::Options options)
    : models(config),
      jobs(std::move(options),
           [this](const jobs::JobSpec& spec, jobs::JobControl& control) { return models.run_job(spec, control); },
           std::move(on_event)) {}

} // namespace tabagent::service
