#pragma once
// The host's request lanes use the core's pool (the download runner's publishers use it too).
#include "core/util/worker_pool.hpp"

namespace tabagent::host {
using util::WorkerPool;
} // namespace tabagent::host
