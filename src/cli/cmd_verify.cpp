// `verify [<repo>] [--remove]`: re-hash every blob against its name (sha256 / git sha1).
// Exits 6 (integrity) when a bad blob was found, even when --remove deleted it.
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/format.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "core/cache/verify.hpp"
#include "core/wire/wire.hpp"

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

    std::size_t removed = 0;
    for (const auto& b : report->blobs) removed += b.removed ? 1 : 0;
    int code = report->bad > 0 ? k_exit_integrity : report->unreadable > 0 ? k_exit_other : k_exit_ok;
    if (ctx.json()) {
        auto doc = wire::to_json(*report);
        doc["exitCode"] = code;
        ctx.emit(doc);
        return code;
    }
    auto& out = ctx.out();
    Table table({"REPO", "BLOB", "STATE", "SIZE", "FILES", "REMOVED"}, {false, false, false, true, false, false});
    for (const auto& b : report->blobs) {
        if (b.state == cache::BlobState::ok) continue;
        std::string files;
        for (const auto& f : b.files) files += (files.empty() ? "" : ", ") + f;
        table.add({b.repo, b.etag.substr(0, 12), std::string(cache::to_string(b.state)), human_size(b.size),
                   files.empty() ? "-" : files, b.removed ? "yes" : "no"});
    }
    if (!table.empty()) {
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
