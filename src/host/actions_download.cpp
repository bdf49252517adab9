// Download actions: each answers at once with a jobId; the work continues as events.
#include "host/actions.hpp"

#include "core/names.hpp"
#include "core/wire/wire.hpp"
#include "host/context.hpp"
#include "host/fields.hpp"
#include "host/services.hpp"
#include "core/platform/fs.hpp"

namespace tabagent::host {
namespace {

jobs::JobManager& job_manager(HostContext& ctx) { return ctx.services->jobs; }

Result<Reply> submit(HostContext& ctx, const Request& req, jobs::JobSpec spec) {
    if (auto st = ctx.services->models.validate_job(spec); !st) return tl::unexpected(st.error());
    auto& manager = job_manager(ctx);
    auto submitted = manager.submit(spec, req.id.value);
    Reply r;
    r.payload = {{"jobId", submitted.job_id}, {"joined", submitted.joined}, {"repo", spec.repo}};
    if (!spec.quant.empty()) r.payload["quant"] = spec.quant;
    if (!spec.files.empty()) r.payload["files"] = spec.files;
    if (!submitted.joined) r.after_send = [&manager, id = submitted.job_id] { manager.start(id); };
    // Joining a paused job (e.g. one restored from the journal with auto-resume off) must not leave
    // the request waiting forever: asking again for the same work resumes it (no-op otherwise).
    else r.after_send = [&manager, id = submitted.job_id] { (void)manager.resume(id); };
    return r;
}

// "owner/name" or "owner/name/path/in/repo.ext" -> repo + optional file.
Result<std::pair<std::string, std::string>> split_model_path(const std::string& value) {
    auto first = value.find('/');
    if (first == std::string::npos) return fail(ErrorCode::invalid_repo, "model must look like owner/name", {{"repo", value}});
    auto second = value.find('/', first + 1);
    if (second == std::string::npos) return std::pair<std::string, std::string>{value, ""};
    return std::pair<std::string, std::string>{value.substr(0, second), value.substr(second + 1)};
}

Result<Reply> job_control(const Request& req, HostContext& ctx, Status (jobs::JobManager::*op)(const std::string&)) {
    TRY_ASSIGN(id, required_string(req.body, {"jobId", "job_id"}));
    if (auto st = (job_manager(ctx).*op)(id); !st) return tl::unexpected(st.error());
    auto info = job_manager(ctx).get(id);
    return payload_reply(info ? wire::to_json(*info) : nlohmann::json::object());
}

} // namespace

namespace actions {

Result<Reply> download_file(const Request& req, HostContext& ctx) {
    jobs::JobSpec spec;
    spec.kind = jobs::JobKind::download_files;
    TRY_ASSIGN(repo, required_string(req.body, {"repo"}));
    TRY_ASSIGN(file, required_string(req.body, {"file", "path", "fileName"}));
    spec.repo = repo;
    spec.files = {file};
    spec.revision = revision_field(req.body);
    return submit(ctx, req, spec);
}

Result<Reply> download_quant(const Request& req, HostContext& ctx) {
    jobs::JobSpec spec;
    spec.kind = jobs::JobKind::download_quant;
    TRY_ASSIGN(repo, required_string(req.body, {"repo"}));
    TRY_ASSIGN(quant, required_string(req.body, {"quant", "variant"}));
    spec.repo = repo;
    spec.quant = quant;
    spec.revision = revision_field(req.body);
    return submit(ctx, req, spec);
}

Result<Reply> pull_model(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(model, required_string(req.body, {"model_id", "model_name", "model", "modelPath", "repoId", "repo"}));
    TRY_ASSIGN(file, optional_string(req.body, {"file", "modelFile", "fileName"}));
    TRY_ASSIGN(quant, optional_string(req.body, {"variant", "quant"}));
    TRY_ASSIGN(parts, split_model_path(model));
    jobs::JobSpec spec;
    spec.repo = parts.first;
    spec.revision = revision_field(req.body);
    std::string path = file.value_or(parts.second);
    if (!path.empty()) {
        spec.kind = jobs::JobKind::download_files;
        spec.files = {path};
    } else {
        spec.kind = jobs::JobKind::download_quant;
        spec.quant = quant.value_or(""); // empty: the recommended variant
    }
    TRY_ASSIGN(reply, submit(ctx, req, spec));
    reply.top = {{"message", "download started for " + spec.repo}, {"model", model}};
    return reply;
}

Result<Reply> load_model(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(model, required_string(req.body, {"model_path", "modelPath", "model_id", "model", "repo"}));
    TRY_ASSIGN(parts, split_model_path(model));
    TRY_ASSIGN(file, optional_string(req.body, {"file", "modelFile", "fileName"}));
    std::string path = file.value_or(parts.second);
    if (path.empty()) return fail(ErrorCode::bad_request, "load_model needs owner/name/path/to/file");
    TRY_ASSIGN(presence, ctx.services->models.has_file(parts.first, path, revision_field(req.body)));
    if (presence.exists) {
        Reply r;
        r.payload = {{"isReady", true}, {"modelPath", model}, {"size", presence.size}, {"path", platform::reported_path(presence.path)}};
        r.top = {{"message", "model is ready"}, {"model", model}};
        return r;
    }
    jobs::JobSpec spec;
    spec.kind = jobs::JobKind::download_files;
    spec.repo = parts.first;
    spec.files = {path};
    spec.revision = revision_field(req.body);
    TRY_ASSIGN(reply, submit(ctx, req, spec));
    reply.payload["isReady"] = false;
    reply.payload["modelPath"] = model;
    reply.payload["size"] = 0;
    reply.payload["path"] = nullptr;
    reply.top = {{"message", "downloading; listen for modelWorkerLoadingProgress"}, {"model", model}};
    return reply;
}

Result<Reply> verify(const Request& req, HostContext& ctx) {
    TRY_ASSIGN(repo, optional_string(req.body, {"repo"}));
    jobs::JobSpec spec;
    spec.kind = jobs::JobKind::verify;
    spec.repo = repo.value_or("*");
    if (repo) {
        if (auto st = validate_repo(*repo); !st) return tl::unexpected(st.error());
    }
    auto& manager = job_manager(ctx);
    auto submitted = manager.submit(spec, req.id.value);
    Reply r;
    r.payload = {{"jobId", submitted.job_id}, {"joined", submitted.joined}};
    if (!submitted.joined) r.after_send = [&manager, id = submitted.job_id] { manager.start(id); };
    return r;
}

Result<Reply> list_downloads(const Request&, HostContext& ctx) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& j : job_manager(ctx).list()) list.push_back(wire::to_json(j));
    return payload_reply({{"jobs", list}});
}

Result<Reply> cancel_download(const Request& req, HostContext& ctx) {
    return job_control(req, ctx, &jobs::JobManager::cancel);
}

Result<Reply> pause_download(const Request& req, HostContext& ctx) {
    return job_control(req, ctx, &jobs::JobManager::pause);
}

Result<Reply> resume_download(const Request& req, HostContext& ctx) {
    return job_control(req, ctx, &jobs::JobManager::resume);
}

} // namespace actions
} // namespace tabagent::host
