// `download <repo> [<variant>] [--file PATH ...]` and `jobs [list|resume|cancel]`: the host's
// JobManager and journal, run in the foreground with progress.
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/foreground.hpp"
#include "cli/format.hpp"
#include "core/wire/wire.hpp"
#include "core/platform/fs.hpp"

#include <iostream>

namespace tabagent::cli {
namespace {
std::string title_of(const jobs::JobSpec& spec) {
    std::string t = spec.repo;
    if (spec.kind == jobs::JobKind::download_quant && !spec.quant.empty()) t += " " + spec.quant;
    if (spec.kind == jobs::JobKind::download_files && spec.files.size() == 1) t += " " + spec.files.front();
    if (spec.kind == jobs::JobKind::verify) t = "verify " + (spec.repo.empty() ? std::string("cache") : spec.repo);
    return t;
}

int run_in_foreground(const Context& ctx, Foreground& fg, const std::string& job_id, const jobs::JobSpec& spec) {
    std::optional<jobs::JobEvent> terminal;
    {
        ProgressView view(progress_mode(ctx.quiet(), ctx.stderr_is_tty()), title_of(spec));
        terminal = fg.run(job_id, view);
    }
    return finish_job(ctx, fg.models(), job_id, terminal);
}
} // namespace

int run_download(const Context& ctx, const DownloadArgs& args) {
    jobs::JobSpec spec;
    spec.repo = args.repo;
    spec.revision = args.revision;
    if (!args.files.empty()) {
        if (!args.variant.empty())
            return ctx.report(Error{ErrorCode::bad_request, "give a variant or --file, not both"});
        spec.kind = jobs::JobKind::download_files;
        spec.files = args.files;
    } else {
        spec.kind = jobs::JobKind::download_quant;
        spec.quant = args.variant;
    }
    Foreground fg(ctx);
    if (auto st = fg.models().validate_job(spec); !st) return ctx.report(st.error());
    // An interrupted download of the same thing is in the journal: continue that job.
    fg.restore();
    auto submitted = fg.jobs().submit(spec, nullptr);
    if (submitted.joined) ctx.note("resuming job " + submitted.job_id);
    return run_in_foreground(ctx, fg, submitted.job_id, spec);
}

int run_jobs_list(const Context& ctx) {
    Foreground fg(ctx);
    fg.restore();
    auto list = fg.jobs().list();
    if (ctx.json()) {
        nlohmann::json jobs = nlohmann::json::array();
        for (const auto& j : list) jobs.push_back(wire::to_json(j));
        ctx.emit({{"jobs", jobs}, {"journal", platform::reported_path(ctx.config().jobs_dir())}});
        return k_exit_ok;
    }
    if (list.empty()) {
        if (!ctx.quiet()) ctx.out() << "No unfinished jobs.\n";
        return k_exit_ok;
    }
    Table table({"JOB", "KIND", "REPO", "WHAT", "REVISION", "STATUS"});
    for (const auto& j : list) {
        std::string what = j.spec.quant.empty() ? "" : j.spec.quant;
        if (!j.spec.files.empty())
            what = j.spec.files.front() + (j.spec.files.size() > 1 ? " +" + std::to_string(j.spec.files.size() - 1) : "");
        if (what.empty() && j.spec.kind == jobs::JobKind::download_quant) what = "(recommended)";
        table.add({j.job_id, std::string(jobs::to_string(j.spec.kind)), j.spec.repo, what, j.spec.revision,
                   j.resumed_from_journal ? "resumable" : std::string(jobs::to_string(j.status))});
    }
    table.print(ctx.out());
    if (!ctx.quiet()) ctx.out() << "\nResume one with: tabagent-cache jobs resume <JOB>\n";
    return k_exit_ok;
}

int run_jobs_resume(const Context& ctx, const std::string& job_id) {
    Foreground fg(ctx);
    fg.restore();
    auto info = fg.jobs().get(job_id);
    if (!info) return ctx.report(Error{ErrorCode::not_found, "no such job in the journal", {{"jobId", job_id}}});
    return run_in_foreground(ctx, fg, job_id, info->spec);
}

int run_jobs_cancel(const Context& ctx, const std::string& job_id) {
    Foreground fg(ctx);
    fg.restore();
    auto info = fg.jobs().get(job_id);
    if (!info) return ctx.report(Error{ErrorCode::not_found, "no such job in the journal", {{"jobId", job_id}}});
    if (auto st = fg.jobs().cancel(job_id); !st) return ctx.report(st.error());
    if (ctx.json()) ctx.emit({{"jobId", job_id}, {"cancelled", true}, {"repo", info->spec.repo}});
    else if (!ctx.quiet())
        ctx.out() << "Cancelled " << job_id << " (" << info->spec.repo
                  << "); its partial files stay until `tabagent-cache clean --older-than`.\n";
    return k_exit_ok;
}

} // namespace tabagent::cli
