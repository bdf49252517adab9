#pragma once
// The core services one host process owns: the model service and the job manager that runs its
// downloads, wired to the frame writer for events.
#include "core/jobs/job_manager.hpp"
#include "core/service/service.hpp"

namespace tabagent::host {

class FrameWriter;

struct Services {
    Services(const Config& config, FrameWriter& writer);
    service::ModelService models;
    jobs::JobManager jobs;
};

// modelWorkerLoadingProgress (and manifestUpdated after a finished download) as frames.
nlohmann::json progress_event_frame(const jobs::JobEvent& event);

} // namespace tabagent::host
