#include "cli/foreground.hpp"

#include "cli/exit_codes.hpp"
#include "cli/format.hpp"
#include "cli/interrupt.hpp"
#include "core/model/recommend.hpp"
#include "core/model/variants.hpp"
#include "core/platform/fs.hpp"

#include <iostream>

namespace tabagent::cli {

Foreground::Foreground(const Context& ctx)
    : m_runtime(ctx.config(), [this](const jobs::JobEvent& event) { on_event(event); }) {}

void Foreground::restore() { jobs().restore(/*auto_resume=*/false); }

void Foreground::on_event(const jobs::JobEvent& event) {
    ProgressView* view = nullptr;
    {
        std::lock_guard lock(m_mutex);
        if (event.job_id != m_watched) return;
        view = m_view;
    }
    if (view) view->on_event(event);
    if (is_terminal(event.status)) {
        std::lock_guard lock(m_mutex);
        m_terminal = event;
        m_cv.notify_all();
    }
}

std::optional<jobs::JobEvent> Foreground::run(const std::string& job_id, ProgressView& view) {
    {
        std::lock_guard lock(m_mutex);
        m_watched = job_id;
        m_view = &view;
        m_terminal.reset();
    }
    InterruptGuard interrupt([this] {
        std::lock_guard lock(m_mutex);
        m_interrupted = true;
        m_cv.notify_all();
    });
    auto info = jobs().get(job_id);
    if (info && info->status == jobs::JobStatus::paused) (void)jobs().resume(job_id);
    else jobs().start(job_id);
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [&] { return m_terminal.has_value() || m_interrupted; });
    if (m_terminal) {
        auto result = m_terminal;
        m_view = nullptr;
        return result;
    }
    lock.unlock();
    // Stop the runner; the journal stays "queued" and the engine keeps the .incomplete partial.
    jobs().shutdown();
    lock.lock();
    m_view = nullptr;
    return std::nullopt;
}

nlohmann::json job_result_json(service::ModelService& models, const jobs::JobEvent& e) {
    nlohmann::json doc = {{"jobId", e.job_id},
                          {"kind", jobs::to_string(e.spec.kind)},
                          {"repo", e.spec.repo},
                          {"revision", e.spec.revision},
                          {"variant", nullptr},
                          {"status", to_string(e.status)},
                          {"cached", e.cached},
                          {"totalBytes", e.total},
                          {"files", nlohmann::json::array()}};
    // The files the job covered, as the cache now holds them (core decides which files those are).
    auto saved = models.known_listing(e.spec.repo, e.spec.revision);
    if (!saved) return doc;
    if (e.spec.kind == jobs::JobKind::download_quant) {
        std::string quant = e.spec.quant;
        if (quant.empty())
            if (auto best = model::recommend(model::group_files(saved->listing.files))) quant = *best;
        doc["variant"] = quant;
    }
    auto files = models.files_for(e.spec, saved->listing);
    if (!files) return doc;
    for (const auto& f : *files) {
        nlohmann::json entry = {{"path", f.path}, {"size", f.size}, {"localPath", nullptr}};
        if (auto p = models.has_file(e.spec.repo, f.path, e.spec.revision); p && p->exists)
            entry["localPath"] = platform::reported_path(p->path);
        doc["files"].push_back(entry);
    }
    if (auto commit = models.store().resolve_commit(e.spec.repo, e.spec.revision)) {
        doc["commit"] = *commit;
        doc["snapshot"] = platform::reported_path(models.store().snapshot_dir(e.spec.repo, *commit));
    }
    return doc;
}

int finish_job(const Context& ctx, service::ModelService& models, const std::string& job_id,
               const std::optional<jobs::JobEvent>& terminal) {
    if (!terminal) {
        Error e{ErrorCode::cancelled, "interrupted; the partial download is kept", {{"jobId", job_id}}};
        int code = ctx.report(e, {{"jobId", job_id}, {"resumable", true}});
        if (!ctx.json())
            std::cerr << "hint: run the same command again, or `tabagent-cache jobs resume " << job_id
                      << "`, to continue\n";
        return code;
    }
    const auto& e = *terminal;
    if (e.status != jobs::EventKind::done) {
        Error err = e.error.value_or(Error{ErrorCode::internal, e.message.empty() ? "job failed" : e.message});
        return ctx.report(err, {{"jobId", job_id}});
    }
    auto doc = job_result_json(models, e);
    if (ctx.json()) {
        ctx.emit(doc);
        return k_exit_ok;
    }
    if (ctx.quiet()) return k_exit_ok;
    std::string what = e.spec.repo;
    if (doc["variant"].is_string()) what += " " + doc["variant"].get<std::string>();
    auto& out = ctx.out();
    if (e.spec.kind == jobs::JobKind::verify) {
        out << "Verified " << what << "\n";
        return k_exit_ok;
    }
    const auto n = doc["files"].size();
    out << (e.cached ? "Already cached: " : "Downloaded ") << what << " (" << n << (n == 1 ? " file, " : " files, ")
        << human_size(e.total) << ")\n";
    if (doc.contains("snapshot")) out << doc["snapshot"].get<std::string>() << "\n";
    return k_exit_ok;
}

} // namespace tabagent::cli
