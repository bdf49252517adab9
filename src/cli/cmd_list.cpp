// `list` (cached models, like `ollama list` / `hf cache scan`) and `stats` (totals, disk free).
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/format.hpp"
#include "core/service/service.hpp"
#include "core/util/time.hpp"

#include <iostream>

namespace tabagent::cli {
namespace {
std::string iso(cache::TimePoint t) {
    if (t == cache::TimePoint{}) return "";
    return util::iso8601(std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
}

std::string join(const nlohmann::json& names, std::size_t max_items) {
    std::string s;
    std::size_t n = 0;
    for (const auto& v : names) {
        if (n == max_items) return s + ", +" + std::to_string(names.size() - n);
        s += (s.empty() ? "" : ", ") + v.get<std::string>();
        ++n;
    }
    return s.empty() ? "-" : s;
}
} // namespace

int run_list(const Context& ctx) {
    service::ModelService models(ctx.config());
    auto list = models.list_models();
    if (!list) return ctx.report(list.error());
    if (ctx.json()) {
        ctx.emit(*list);
        return k_exit_ok;
    }
    const auto& items = (*list)["models"];
    if (items.empty()) {
        if (!ctx.quiet()) ctx.out() << "No models in " << ctx.config().cache_root.string() << "\n";
        return k_exit_ok;
    }
    Table table({"REPO", "SIZE", "FILES", "REVISIONS", "VARIANTS", "LAST ACCESSED"},
                {false, true, true, true, false, false});
    std::uint64_t total = 0, partial = 0;
    auto now = std::chrono::system_clock::now();
    for (const auto& m : items) {
        total += m["size"].get<std::uint64_t>();
        partial += m["partialBytes"].get<std::uint64_t>();
        std::string refs;
        std::size_t revisions = m["revisions"].size();
        std::string last = m["last_access"].get<std::string>();
        auto tp = util::parse_iso8601(last);
        table.add({m["repo"].get<std::string>(), human_size(m["size"].get<std::uint64_t>()),
                   std::to_string(m["files"].get<std::uint64_t>()), std::to_string(revisions),
                   join(m["variants"], 4), tp ? human_age(*tp, now) : "-"});
    }
    table.print(ctx.out());
    if (!ctx.quiet()) {
        ctx.out() << "\n" << items.size() << " model" << (items.size() == 1 ? "" : "s") << ", " << human_size(total);
        if (partial) ctx.out() << " (+" << human_size(partial) << " in unfinished downloads)";
        ctx.out() << " in " << ctx.config().cache_root.string() << "\n";
    }
    return k_exit_ok;
}

int run_stats(const Context& ctx) {
    service::ModelService models(ctx.config());
    auto s = models.stats();
    if (ctx.json()) {
        nlohmann::json repos = nlohmann::json::array();
        for (const auto& r : s.repos)
            repos.push_back({{"repo", r.repo}, {"size", r.size}, {"partialBytes", r.partial_bytes}, {"files", r.files},
                             {"revisions", r.revisions}, {"last_access", iso(r.last_access)},
                             {"last_modified", iso(r.last_modified)}});
        ctx.emit({{"cache_root", s.root.string()}, {"total_repos", s.total_repos}, {"total_size", s.total_size},
                  {"partial_bytes", s.partial_bytes},
                  {"disk_free", s.disk_free ? nlohmann::json(*s.disk_free) : nlohmann::json(nullptr)},
                  {"repos", repos}, {"warnings", s.warnings}});
        return k_exit_ok;
    }
    auto& out = ctx.out();
    out << "Cache:       " << s.root.string() << "\n"
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
