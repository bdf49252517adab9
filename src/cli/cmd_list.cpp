// `list` (cached models, like `ollama list` / `hf cache scan`) and `stats` (totals, disk free).
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/format.hpp"
#include "core/service/service.hpp"
#include "core/wire/wire.hpp"
#include "core/platform/fs.hpp"

#include <iostream>

namespace tabagent::cli {
namespace {
std::string join(const std::vector<std::string>& names, std::size_t max_items) {
    std::string s;
    for (std::size_t n = 0; n < names.size(); ++n) {
        if (n == max_items) return s + ", +" + std::to_string(names.size() - n);
        s += (s.empty() ? "" : ", ") + names[n];
    }
    return s.empty() ? "-" : s;
}
} // namespace

int run_list(const Context& ctx) {
    service::ModelService models(ctx.config());
    auto list = models.list_models();
    if (ctx.json()) {
        ctx.emit(wire::to_json(list));
        return k_exit_ok;
    }
    if (list.models.empty()) {
        if (!ctx.quiet()) ctx.out() << "No models in " << platform::reported_path(ctx.config().cache_root) << "\n";
        return k_exit_ok;
    }
    Table table({"REPO", "SIZE", "FILES", "REVISIONS", "VARIANTS", "LAST ACCESSED"},
                {false, true, true, true, false, false});
    std::uint64_t total = 0, partial = 0;
    auto now = std::chrono::system_clock::now();
    for (const auto& m : list.models) {
        total += m.size;
        partial += m.partial_bytes;
        table.add({m.repo, human_size(m.size), std::to_string(m.files), std::to_string(m.revisions.size()),
                   join(m.variants, 4), human_age(m.last_access, now)});
    }
    table.print(ctx.out());
    if (!ctx.quiet()) {
        const auto n = list.models.size();
        ctx.out() << "\n" << n << " model" << (n == 1 ? "" : "s") << ", " << human_size(total);
        if (partial) ctx.out() << " (+" << human_size(partial) << " in unfinished downloads)";
        ctx.out() << " in " << platform::reported_path(ctx.config().cache_root) << "\n";
    }
    return k_exit_ok;
}

int run_stats(const Context& ctx) {
    service::ModelService models(ctx.config());
    auto s = models.stats();
    if (ctx.json()) {
        ctx.emit(wire::to_json(s));
        return k_exit_ok;
    }
    auto& out = ctx.out();
    out << "Cache:       " << platform::reported_path(s.root) << "\n"
        << "Models:      " << s.total_repos << "\n"
        << "Size:        " << human_size(s.total_size) << "\n"
        << "Unfinished:  " << human_size(s.partial_bytes) << "\n"
        << "Disk free:   " << (s.disk_free ? human_size(*s.disk_free) : std::string("unknown")) << "\n";
    if (!s.repos.empty()) {
        out << "\n";
        Table table({"REPO", "SIZE", "UNFINISHED", "FILES", "REVISIONS", "LAST ACCESSED"},
                    {false, true, true, true, true, false});
        auto now = std::chrono::system_clock::now();
        for (const auto& r : s.repos)
            table.add({r.repo, human_size(r.size), r.partial_bytes ? human_size(r.partial_bytes) : "-",
                       std::to_string(r.files), std::to_string(r.revisions), human_age(r.last_access, now)});
        table.print(out);
    }
    if (!ctx.quiet())
        for (const auto& w : s.warnings) std::cerr << "warning: " << w << "\n";
    return k_exit_ok;
}

} // namespace tabagent::cli
