// `verify [<repo>] [--remove]`: re-hash every blob against its name (sha256 / git sha1).
// Exits 6 (integrity) when a bad blob was found, even when --remove deleted it.
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/format.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "core/cache/verify.hpp"

#include <iostream>

namespace tabagent::cli {

int run_verify(const Context& ctx, const VerifyArgs& args) {
    std::optional<std::string> repo;
    if (!args.repo.empty()) repo = args.repo;
    InterruptGuard interrupt;
    Result<cache::VerifyReport> report;
    {
        ProgressView view(progress_mode(ctx.quiet(), ctx.stderr_is_tty()), "verify " + (args.repo.empty() ? std::string("cache") : args.repo));
        report = cache::verify(
            ctx.config().cache_root, repo, args.remove,
            [&](std::uint64_t done, std::uint64_t total) { view.on_bytes(done, total); }, interrupt.stop_token());
    }
    if (!report) return ctx.report(report.error());
    if (report->cancelled) return ctx.report(Error{ErrorCode::cancelled, "verify interrupted"});

    nlohmann::json problems = nlohmann::json::array();
    std::size_t removed = 0;
    for (const auto& b : report->blobs) {
        removed += b.removed;
        if (b.state == cache::BlobState::ok) continue;
        nlohmann::json p = {{"repo", b.repo}, {"etag", b.etag}, {"state", cache::to_string(b.state)},
                            {"size", b.size}, {"path", b.path.string()}, {"removed", b.removed}, {"files", b.files}};
        if (!b.error.empty()) p["error"] = b.error;
        problems.push_back(p);
    }
    int code = report->bad > 0 ? k_exit_integrity : report->unreadable > 0 ? k_exit_other : k_exit_ok;
    if (ctx.json()) {
        ctx.emit({{"ok", report->ok}, {"bad", report->bad}, {"missing", report->missing},
                  {"unverifiable", report->unverifiable}, {"unreadable", report->unreadable},
                  {"removed", removed}, {"bytesHashed", report->bytes_hashed}, {"problems", problems},
                  {"warnings", report->warnings}, {"exitCode", code}});
        return code;
    }
    auto& out = ctx.out();
    if (!problems.empty()) {
        Table table({"REPO", "BLOB", "STATE", "SIZE", "FILES", "REMOVED"}, {false, false, false, true, false, false});
        for (const auto& p : problems) {
            std::string files;
            for (const auto& f : p["files"]) files += (files.empty() ? "" : ", ") + f.get<std::string>();
            table.add({p["repo"].get<std::string>(), p["etag"].get<std::string>().substr(0, 12),
                       p["state"].get<std::string>(), human_size(p["size"].get<std::uint64_t>()),
                       files.empty() ? "-" : files, p["removed"].get<bool>() ? "yes" : "no"});
        }
        table.print(out);
        out << "\n";
    }
    out << "Verified " << report->blobs.size() << (report->blobs.size() == 1 ? " blob (" : " blobs (") << human_size(report->bytes_hashed)
        << " hashed): " << report->ok << " ok, " << report->bad << " bad";
    if (report->missing) out << ", " << report->missing << " missing";
    if (report->unverifiable) out << ", " << report->unverifiable << " unverifiable";
    if (report->unreadable) out << ", " << report->unreadable << " unreadable";
    out << "\n";
    if (report->bad && !args.remove)
        out << "Remove the bad blobs with `tabagent-cache verify --remove`, then download again.\n";
    else if (removed)
        out << "Removed " << removed << " bad blob" << (removed == 1 ? "" : "s") << "; download again to repair.\n";
    if (!ctx.quiet())
        for (const auto& w : report->warnings) std::cerr << "warning: " << w << "\n";
    return code;
}

} // namespace tabagent::cli
