// `clean [--max-size 20G] [--older-than 30d] [--dry-run]` (least recently used models first)
// and `delete <repo> [<variant>] [--yes]`.
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/format.hpp"
#include "core/cache/scan.hpp"
#include "core/names.hpp"
#include "core/service/service.hpp"
#include "core/wire/wire.hpp"
#include "core/platform/fs.hpp"

#include <iostream>

namespace tabagent::cli {

int run_clean(const Context& ctx, const CleanArgs& args) {
    cache::CleanOptions options;
    options.dry_run = args.dry_run;
    if (!args.max_size.empty()) {
        options.max_bytes = parse_size(args.max_size);
        if (!options.max_bytes)
            return ctx.report(Error{ErrorCode::bad_request, "--max-size wants a size such as 20G or 500M",
                                    {{"max-size", args.max_size}}});
    }
    if (!args.older_than.empty()) {
        options.older_than = parse_age(args.older_than);
        if (!options.older_than)
            return ctx.report(Error{ErrorCode::bad_request, "--older-than wants an age such as 30d, 12h or 2w",
                                    {{"older-than", args.older_than}}});
    }
    if (!options.max_bytes && !options.older_than)
        return ctx.report(Error{ErrorCode::bad_request, "give --max-size and/or --older-than"});
    service::ModelService models(ctx.config());
    auto report = models.clean(options);
    if (!report) return ctx.report(report.error());
    if (ctx.json()) {
        ctx.emit(wire::to_json(*report));
        return k_exit_ok;
    }
    auto& out = ctx.out();
    auto now = std::chrono::system_clock::now();
    if (!report->removed.empty()) {
        Table table({"REPO", "SIZE", "LAST ACCESSED", "REASON"}, {false, true, false, false});
        for (const auto& r : report->removed)
            table.add({r.repo, human_size(r.bytes), human_age(r.last_access, now),
                       r.reason == "max_bytes" ? "over --max-size" : "older than --older-than"});
        table.print(out);
        out << "\n";
    }
    for (const auto& p : report->removed_partials)
        out << (report->dry_run ? "would drop" : "dropped") << " unfinished download " << p.repo << " "
            << (p.etag.empty() ? p.file : p.etag.substr(0, 12)) << " (" << p.writer << ", " << human_size(p.bytes)
            << ")\n";
    for (const auto& r : report->skipped_busy) out << "skipped " << r << ": a download is running\n";
    out << (report->dry_run ? "Would free " : "Freed ") << human_size(report->freed_bytes) << " ("
        << human_size(report->total_before) << " -> " << human_size(report->total_after) << ")"
        << (report->dry_run ? "; nothing was removed (--dry-run)" : "") << "\n";
    return k_exit_ok;
}

int run_delete(const Context& ctx, const DeleteArgs& args) {
    if (auto st = validate_repo(args.repo); !st) return ctx.report(st.error());
    if (!args.yes && (!ctx.stdin_is_tty() || ctx.json()))
        return ctx.report(Error{ErrorCode::bad_request, "refusing to delete without --yes (not a terminal)",
                                {{"repo", args.repo}}});
    auto scanned = cache::scan_repo(ctx.config().cache_root, args.repo);
    if (!scanned) return ctx.report(Error{ErrorCode::not_found, "model is not in the cache", {{"repo", args.repo}}});
    std::string what = args.repo + (args.variant.empty() ? "" : " " + args.variant);
    if (!args.yes) {
        std::cerr << "Delete " << what << (args.variant.empty() ? " (" + human_size(scanned->size_on_disk) + ")" : "")
                  << " from " << platform::reported_path(ctx.config().cache_root) << "? [y/N] " << std::flush;
        std::string answer;
        if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
            std::cerr << "Nothing deleted.\n";
            return k_exit_ok;
        }
    }
    service::ModelService models(ctx.config());
    auto freed = models.delete_model(args.repo, args.variant);
    if (!freed) return ctx.report(freed.error());
    if (ctx.json())
        ctx.emit({{"repo", args.repo}, {"variant", args.variant.empty() ? nlohmann::json(nullptr) : nlohmann::json(args.variant)},
                  {"freedBytes", *freed}});
    else if (!ctx.quiet())
        ctx.out() << "Deleted " << what << ", freed " << human_size(*freed) << "\n";
    return k_exit_ok;
}

} // namespace tabagent::cli
