#pragma once
// The outcome of a finished job as the CLI's --json and the Python package report it: the job,
// the variant it fetched, its files with their local paths, the commit and snapshot folder.
#include "core/jobs/job.hpp"
#include "core/service/service.hpp"

#include <nlohmann/json.hpp>

namespace tabagent::service {

nlohmann::json job_result_json(ModelService& models, const jobs::JobEvent& event);

} // namespace tabagent::service
