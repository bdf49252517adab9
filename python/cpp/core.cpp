#include "core.hpp"

#include "core/names.hpp"
#include "core/service/job_result.hpp"
#include "core/wire/wire.hpp"

#include <chrono>
#include <mutex>

namespace tabagent::python {
namespace {

using Json = nlohmann::json;

Json token_json(const service::TokenStatus& s) {
    return {{"hasToken", s.has_token}, {"source", s.source.empty() ? Json(nullptr) : Json(s.source)}};
}

std::chrono::steady_clock::duration seconds(double value) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(std::max(0.0, std::min(value, 86400.0))));
}

} // namespace

Core::Core(const Config& config)
    : m_runtime(std::make_unique<service::Runtime>(config, [this](const jobs::JobEvent& e) { m_events.push(e); })) {
    // Jobs an earlier run left in the journal (this process, the CLI's or the host's): paused,
    // so that asking for the same download again joins and resumes them, as the CLI does.
    m_runtime->jobs.restore(/*auto_resume=*/false);
}

Core::~Core() { close(); }

void Core::close() {
    std::unique_lock lock(m_mutex);
    if (!m_runtime) return;
    m_runtime->jobs.shutdown();
    m_runtime.reset();
    m_events.close();
}

Result<Json> Core::with_runtime(const std::function<Result<Json>(service::Runtime&)>& work) {
    std::shared_lock lock(m_mutex);
    if (!m_runtime) return fail(ErrorCode::bad_request, "the ModelCache is closed");
    return work(*m_runtime);
}

Result<Json> Core::config() {
    return with_runtime([](service::Runtime& rt) -> Result<Json> {
        const auto& c = rt.models.config();
        return Json{{"cacheDir", c.cache_root.string()}, {"dataDir", c.data_dir.string()}, {"endpoint", c.endpoint},
                    {"offline", c.offline}, {"jobsDir", c.jobs_dir().string()}};
    });
}

Result<Json> Core::scan_repo(const std::string& repo, const std::string& revision) {
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        auto listing = rt.models.scan_repo(repo, revision);
        if (!listing) return tl::unexpected(listing.error());
        auto manifest = rt.models.manifest(repo, "native");
        if (!manifest) return tl::unexpected(manifest.error());
        return Json{{"manifest", *manifest}, {"files", listing->files.size()}, {"commit", listing->commit}};
    });
}

Result<Json> Core::get_manifest(const std::string& repo, const std::string& format) {
    return with_runtime([&](service::Runtime& rt) { return rt.models.manifest(repo, format); });
}

Result<Json> Core::list_models() {
    return with_runtime([](service::Runtime& rt) -> Result<Json> { return wire::to_json(rt.models.list_models()); });
}

Result<Json> Core::has_file(const std::string& repo, const std::string& file, const std::string& revision) {
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        auto p = rt.models.has_file(repo, file, revision);
        if (!p) return tl::unexpected(p.error());
        Json doc = {{"exists", p->exists}, {"size", p->size}, {"knownMissing", p->known_missing}};
        if (p->exists) {
            doc["path"] = p->path.string();
            doc["blobPath"] = p->blob_path.string();
            doc["commit"] = p->commit;
        }
        return doc;
    });
}

Result<Json> Core::file_path(const std::string& repo, const std::string& file, const std::string& revision) {
    auto doc = has_file(repo, file, revision);
    if (!doc) return doc;
    // The host's get_file_path answers (host/actions_cache.cpp).
    if ((*doc)["knownMissing"].get<bool>())
        return fail(ErrorCode::not_found, "the Hub has no such file (remembered in the cache)",
                    {{"repo", repo}, {"file", file}, {"knownMissing", true}});
    if (!(*doc)["exists"].get<bool>())
        return fail(ErrorCode::not_found, "file is not in the cache", {{"repo", repo}, {"file", file}});
    return doc;
}

Result<Json> Core::delete_model(const std::string& repo, const std::string& quant) {
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        auto freed = rt.models.delete_model(repo, quant);
        if (!freed) return tl::unexpected(freed.error());
        Json doc = {{"freedBytes", *freed}, {"repo", repo}};
        if (!quant.empty()) doc["quant"] = quant;
        return doc;
    });
}

Result<Json> Core::get_stats() {
    return with_runtime([](service::Runtime& rt) -> Result<Json> { return wire::to_json(rt.models.stats()); });
}

Result<Json> Core::clean(std::optional<std::uint64_t> max_bytes, std::optional<double> older_than_seconds, bool dry_run) {
    if (!max_bytes && !older_than_seconds) return fail(ErrorCode::bad_request, "give max_bytes and/or older_than");
    cache::CleanOptions options;
    options.max_bytes = max_bytes;
    if (older_than_seconds)
        options.older_than = std::chrono::seconds(static_cast<std::int64_t>(std::max(0.0, std::min(*older_than_seconds, 1e11))));
    options.dry_run = dry_run;
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        auto report = rt.models.clean(options);
        if (!report) return tl::unexpected(report.error());
        return wire::to_json(*report);
    });
}

Result<Json> Core::set_token(const std::string& token, bool validate) {
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        auto status = rt.models.set_token(token, validate);
        if (!status) return tl::unexpected(status.error());
        return token_json(*status);
    });
}

Result<Json> Core::token_status() {
    return with_runtime([](service::Runtime& rt) -> Result<Json> { return token_json(rt.models.token_status()); });
}

Result<Json> Core::clear_token() {
    return with_runtime([](service::Runtime& rt) -> Result<Json> {
        auto status = rt.models.clear_token();
        if (!status) return tl::unexpected(status.error());
        return token_json(*status);
    });
}

Result<Json> Core::submit(const std::string& kind, const std::string& repo, const std::string& revision,
                          const std::string& quant, const std::vector<std::string>& files) {
    jobs::JobSpec spec;
    if (!jobs::parse_job_kind(kind, spec.kind)) return fail(ErrorCode::bad_request, "unknown job kind", {{"kind", kind}});
    spec.repo = repo;
    spec.revision = revision;
    spec.quant = quant;
    spec.files = files;
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        // As the host's actions: verify of one repo or of the whole cache ("*").
        if (spec.kind == jobs::JobKind::verify) {
            if (spec.repo != "*")
                if (auto st = validate_repo(spec.repo); !st) return tl::unexpected(st.error());
        } else if (auto st = rt.models.validate_job(spec); !st) {
            return tl::unexpected(st.error());
        }
        auto submitted = rt.jobs.submit(spec, nullptr);
        if (submitted.joined) (void)rt.jobs.resume(submitted.job_id); // a paused job continues
        else rt.jobs.start(submitted.job_id);
        return Json{{"jobId", submitted.job_id}, {"joined", submitted.joined}};
    });
}

JobEvents::Batch Core::wait_events(const std::string& job_id, std::uint64_t after, double timeout, double hold) {
    auto now = JobEvents::Clock::now();
    return m_events.wait(job_id, after, now + seconds(timeout), now + seconds(hold));
}

Result<Json> Core::job_result(const std::string& job_id) {
    auto event = m_events.terminal_event(job_id);
    if (!event) return fail(ErrorCode::not_found, "the job has not ended", {{"jobId", job_id}});
    if (event->status != jobs::EventKind::done) {
        Error error = event->error.value_or(Error{ErrorCode::internal, event->message.empty() ? "job failed" : event->message});
        if (!error.details.is_object()) error.details = Json::object();
        error.details["jobId"] = job_id;
        return tl::unexpected(std::move(error));
    }
    if (event->spec.kind == jobs::JobKind::verify) return event->result;
    return with_runtime([&](service::Runtime& rt) -> Result<Json> { return service::job_result_json(rt.models, *event); });
}

Result<Json> Core::list_downloads() {
    return with_runtime([](service::Runtime& rt) -> Result<Json> {
        Json list = Json::array();
        for (const auto& j : rt.jobs.list()) list.push_back(wire::to_json(j));
        return list;
    });
}

Result<Json> Core::get_job(const std::string& job_id) {
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        auto info = rt.jobs.get(job_id);
        if (!info) return fail(ErrorCode::not_found, "no such job", {{"jobId", job_id}});
        return wire::to_json(*info);
    });
}

Result<Json> Core::job_control(const std::string& job_id, Status (jobs::JobManager::*op)(const std::string&)) {
    return with_runtime([&](service::Runtime& rt) -> Result<Json> {
        if (auto st = (rt.jobs.*op)(job_id); !st) return tl::unexpected(st.error());
        auto info = rt.jobs.get(job_id);
        return info ? wire::to_json(*info) : Json::object();
    });
}

Result<Json> Core::cancel(const std::string& job_id) { return job_control(job_id, &jobs::JobManager::cancel); }
Result<Json> Core::pause(const std::string& job_id) { return job_control(job_id, &jobs::JobManager::pause); }
Result<Json> Core::resume(const std::string& job_id) { return job_control(job_id, &jobs::JobManager::resume); }

} // namespace tabagent::python
