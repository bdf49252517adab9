// `scan <repo>` (list the Hub repo once, store the listing, show its variants) and
// `manifest <repo>` (the stored manifest, either dialect; no network).
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/format.hpp"
#include "core/model/recommend.hpp"
#include "core/model/variants.hpp"
#include "core/service/service.hpp"

namespace tabagent::cli {

int run_scan(const Context& ctx, const ScanArgs& args) {
    service::ModelService models(ctx.config());
    auto listing = models.scan_repo(args.repo, args.revision);
    if (!listing) return ctx.report(listing.error());
    auto grouping = model::group_files(listing->files);
    auto best = model::recommend(grouping); // what `download <repo>` fetches
    if (ctx.json()) {
        auto doc = service::listing_to_json(*listing);
        nlohmann::json variants = nlohmann::json::array();
        for (const auto& v : grouping.variants)
            variants.push_back({{"name", v.name}, {"family", v.family}, {"dtype", v.dtype}, {"files", v.files},
                                {"size", v.total_size}, {"downloadSize", v.total_size + grouping.common_size},
                                {"incomplete", v.incomplete},
                                {"serverOnly", model::is_server_only(v, ctx.config().server_only_threshold)}});
        doc["variants"] = variants;
        doc["common"] = {{"files", grouping.common}, {"size", grouping.common_size}};
        doc["recommended"] = best ? nlohmann::json(*best) : nlohmann::json(nullptr);
        ctx.emit(doc);
        return k_exit_ok;
    }
    auto& out = ctx.out();
    out << listing->repo << " @ " << listing->commit << "  (" << listing->files.size() << " files";
    if (!listing->pipeline_tag.empty()) out << ", " << listing->pipeline_tag;
    if (listing->gated) out << ", gated";
    out << ")\n\n";
    Table table({"VARIANT", "FAMILY", "FILES", "SIZE", "WITH COMMON", ""}, {false, false, true, true, true, false});
    for (const auto& v : grouping.variants) {
        std::string note = best && *best == v.name ? "recommended" : "";
        if (v.incomplete) note = "incomplete";
        else if (model::is_server_only(v, ctx.config().server_only_threshold)) note = "server only";
        table.add({v.name, v.family, std::to_string(v.files.size()), human_size(v.total_size),
                   human_size(v.total_size + grouping.common_size), note});
    }
    if (table.empty()) out << "No downloadable variants.\n";
    else table.print(out);
    out << "\nCommon files: " << grouping.common.size() << " (" << human_size(grouping.common_size) << ")\n";
    if (best && !ctx.quiet())
        out << "Download with: tabagent-cache download " << listing->repo << " " << *best << "\n";
    return k_exit_ok;
}

int run_manifest(const Context& ctx, const ManifestArgs& args) {
    service::ModelService models(ctx.config());
    auto manifest = models.manifest(args.repo, args.format);
    if (!manifest) return ctx.report(manifest.error());
    if (ctx.json()) {
        ctx.emit({{"repo", args.repo}, {"format", args.format}, {"manifest", *manifest}});
        return k_exit_ok;
    }
    auto& out = ctx.out();
    const auto& quants = (*manifest)["quants"];
    if (args.format == "extension") {
        Table table({"ONNX FILE", "DTYPE", "STATUS", "FILES", "SIZE"}, {false, false, false, true, true});
        for (const auto& [path, q] : quants.items()) {
            std::uint64_t size = 0;
            for (const auto& [f, bytes] : q["fileSizes"].items()) size += bytes.get<std::uint64_t>();
            table.add({path, q.value("dtype", ""), q.value("status", ""), std::to_string(q["files"].size()),
                       human_size(size)});
        }
        out << (*manifest).value("repo", args.repo) << " (extension manifest)\n\n";
        table.print(out);
        return k_exit_ok;
    }
    Table table({"VARIANT", "STATUS", "FILES", "SIZE", "PRESENT"}, {false, false, true, true, true});
    for (const auto& [name, q] : quants.items())
        table.add({name, q.value("status", ""), std::to_string(q["files"].size()),
                   human_size(q.value("total_size", std::uint64_t{0})),
                   human_size(q.value("downloaded_size", std::uint64_t{0}))});
    out << (*manifest).value("repo_id", args.repo) << " @ " << (*manifest).value("commit", "") << "\n\n";
    table.print(out);
    return k_exit_ok;
}

} // namespace tabagent::cli
