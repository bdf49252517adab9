// Jobs as the wire shows them: list_downloads entries and progress event payloads.
#include "core/wire/wire.hpp"

#include <cmath>

namespace tabagent::wire {
namespace {
double percent(std::uint64_t loaded, std::uint64_t total) {
    return total ? 100.0 * static_cast<double>(loaded) / static_cast<double>(total) : 0.0;
}

// retryInSeconds: until the job's next request to the Hub (Retry-After, backoff, the host's
// budget), rounded up to a tenth; present only while the job waits, so other payloads keep their shape.
void add_retry_in(nlohmann::json& j, const std::optional<double>& seconds) {
    if (seconds) j["retryInSeconds"] = std::ceil(*seconds * 10) / 10;
}
} // namespace

nlohmann::json to_json(const jobs::JobInfo& info) {
    nlohmann::json j = {{"jobId", info.job_id},
                        {"requestId", info.request_id},
                        {"kind", to_string(info.spec.kind)},
                        {"repo", info.spec.repo},
                        {"revision", info.spec.revision},
                        {"quant", info.spec.quant},
                        {"files", info.spec.files},
                        {"status", to_string(info.status)},
                        {"loaded", info.loaded},
                        {"total", info.total},
                        {"progress", percent(info.loaded, info.total)},
                        {"filesDone", info.files_done},
                        {"filesTotal", info.files_total},
                        {"bytesPerSecond", info.bytes_per_second},
                        {"file", info.file},
                        {"message", info.message},
                        {"resumed", info.resumed_from_journal}};
    if (info.error) j["error"] = info.error->to_json();
    add_retry_in(j, info.retry_in_seconds);
    return j;
}

nlohmann::json progress_payload(const jobs::JobEvent& e) {
    using jobs::EventKind;
    const double progress = e.total ? percent(e.loaded, e.total) : (e.status == EventKind::done ? 100.0 : 0.0);
    nlohmann::json payload = {{"status", to_string(e.status)},
                              {"kind", to_string(e.spec.kind)},
                              {"repo", e.spec.repo},
                              {"revision", e.spec.revision},
                              {"quant", e.spec.quant},
                              {"file", e.file},
                              {"fileLoaded", e.file_loaded},
                              {"fileTotal", e.file_total},
                              {"progress", std::round(progress * 100) / 100},
                              {"loaded", e.loaded},
                              {"total", e.total},
                              {"filesDone", e.files_done},
                              {"filesTotal", e.files_total},
                              {"bytesPerSecond", std::round(e.bytes_per_second)},
                              {"etaSeconds", e.eta_seconds ? nlohmann::json(std::round(*e.eta_seconds * 10) / 10)
                                                           : nlohmann::json(nullptr)},
                              {"message", e.message}};
    add_retry_in(payload, e.retry_in_seconds);
    // A terminal event other than done says why.
    if (e.error && is_terminal(e.status) && e.status != EventKind::done) payload["error"] = e.error->to_json();
    if (e.status == EventKind::done) {
        payload["cached"] = e.cached;
        if (!e.result.is_null()) payload["result"] = e.result;
    }
    return payload;
}

} // namespace tabagent::wire
