// tabagent-cache: the model cache from a terminal. Parses arguments, builds the Config, runs one
// subcommand; every piece of logic lives in the core (tabagent_core), shared with the host.
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

#include <CLI/CLI.hpp>
#include "core/hub/curl_library.hpp"
#include "core/platform/process.hpp"
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

using namespace tabagent;
using namespace tabagent::cli;

namespace {

// Logs go to stderr only: stdout carries results (exactly one JSON document with --json).
void setup_logging(const GlobalOptions& o) {
    auto logger = spdlog::stderr_color_mt("tabagent-cache");
    logger->set_pattern("%^%l%$: %v");
    logger->set_level(o.verbose ? spdlog::level::debug : o.quiet ? spdlog::level::err : spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

void add_global_flags(CLI::App& app, GlobalOptions& o, std::string& token) {
    app.add_option("--cache-dir", o.cache_dir, "Hugging Face hub cache (default: TABAGENT_CACHE, HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub)");
    app.add_option("--endpoint", o.endpoint, "Hub URL or mirror (default: HF_ENDPOINT or https://huggingface.co)");
    app.add_option("--token", token, "Hugging Face token for gated/private repos (default: stored token, HF_TOKEN, HF_HOME/token)");
    app.add_flag("--offline", o.offline, "never touch the network (also HF_HUB_OFFLINE=1)");
    app.add_flag("--json", o.json, "print exactly one JSON document on stdout");
    app.add_flag("-q,--quiet", o.quiet, "no progress, no notes");
    app.add_flag("-v,--verbose", o.verbose, "debug logs on stderr");
    app.add_option("--limit-rate", o.limit_rate, "cap download speed, e.g. 10M (bytes per second)");
}

// `args` are the arguments after the program name.
bool wants_json(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "--json") return true;
    return false;
}

int usage_error(const CLI::App& app, const CLI::ParseError& e, bool json) {
    if (json) {
        nlohmann::json doc = {{"error", {{"code", "BAD_REQUEST"}, {"message", e.what()}, {"details", nlohmann::json::object()}}},
                              {"exitCode", k_exit_usage}};
        std::cout << doc.dump(2) << '\n';
    } else {
        std::cerr << "error: " << e.what() << "\n";
        std::cerr << "Run '" << app.get_name() << " --help' (or '<command> --help') for usage.\n";
    }
    return k_exit_usage;
}

// The first word that is not a flag (or a global option's value): what the user meant as the
// command. CLI11 alone would only say "a subcommand is required" for a typo.
std::string first_word(const std::vector<std::string>& args) {
    static const std::set<std::string_view> k_with_value = {"--cache-dir", "--endpoint", "--token", "--limit-rate"};
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        if (k_with_value.count(a)) {
            ++i;
            continue;
        }
        if (!a.starts_with("-")) return std::string(a);
    }
    return "";
}

using Action = std::function<int(const Context&)>;

// Every subcommand's parsed arguments; they live until the chosen action has run.
struct CommandArgs {
    ScanArgs scan;
    DownloadArgs download;
    VerifyArgs verify;
    CleanArgs clean;
    DeleteArgs del;
    ManifestArgs manifest;
    std::string job_id;
};

// The subcommands; parsing one sets `action` to its run_* call.
void add_subcommands(CLI::App& app, CommandArgs& args, Action& action) {
    auto sub = [&](const char* name, const char* help) {
        auto* s = app.add_subcommand(name, help);
        s->fallthrough(); // global flags after the subcommand reach the app
        return s;
    };
    sub("list", "list cached models (size, revisions, variants present)")->callback([&] { action = run_list; });
    sub("stats", "cache totals and free disk space")->callback([&] { action = run_stats; });

    auto* scan_cmd = sub("scan", "list a Hub repo's files and variants (stores the listing)");
    scan_cmd->add_option("repo", args.scan.repo, "owner/name")->required();
    scan_cmd->add_option("--revision", args.scan.revision, "branch, tag or commit");
    scan_cmd->callback([&] { action = [&](const Context& c) { return run_scan(c, args.scan); }; });

    auto* download_cmd = sub("download", "download a variant (default: the recommended one) or files");
    download_cmd->add_option("repo", args.download.repo, "owner/name")->required();
    download_cmd->add_option("variant", args.download.variant, "q4f16, Q4_K_M, ... (see `scan`)");
    download_cmd->add_option("--file", args.download.files, "a file of the repo (repeatable)")->allow_extra_args(false);
    download_cmd->add_option("--revision", args.download.revision, "branch, tag or commit");
    download_cmd->callback([&] { action = [&](const Context& c) { return run_download(c, args.download); }; });

    auto* verify_cmd = sub("verify", "re-hash cached blobs; exit 6 when one is bad");
    verify_cmd->add_option("repo", args.verify.repo, "owner/name (default: the whole cache)");
    verify_cmd->add_flag("--remove", args.verify.remove, "delete bad blobs (download again to repair)");
    verify_cmd->callback([&] { action = [&](const Context& c) { return run_verify(c, args.verify); }; });

    auto* clean_cmd = sub("clean", "evict least recently used models");
    clean_cmd->add_option("--max-size", args.clean.max_size, "shrink the cache to this size, e.g. 20G");
    clean_cmd->add_option("--older-than", args.clean.older_than, "remove models not used for this long, e.g. 30d");
    clean_cmd->add_flag("--dry-run", args.clean.dry_run, "show what would be removed");
    clean_cmd->callback([&] { action = [&](const Context& c) { return run_clean(c, args.clean); }; });

    auto* delete_cmd = sub("delete", "delete a model or one of its variants");
    delete_cmd->add_option("repo", args.del.repo, "owner/name")->required();
    delete_cmd->add_option("variant", args.del.variant, "only this variant's own files");
    delete_cmd->add_flag("-y,--yes", args.del.yes, "do not ask");
    delete_cmd->callback([&] { action = [&](const Context& c) { return run_delete(c, args.del); }; });

    auto* manifest_cmd = sub("manifest", "print a repo's manifest (no network)");
    manifest_cmd->add_option("repo", args.manifest.repo, "owner/name")->required();
    manifest_cmd->add_option("--format", args.manifest.format, "native or extension")
        ->check(CLI::IsMember({"native", "extension"}));
    manifest_cmd->callback([&] { action = [&](const Context& c) { return run_manifest(c, args.manifest); }; });

    auto* jobs_cmd = sub("jobs", "unfinished download jobs (also the host's): list, resume, cancel");
    jobs_cmd->require_subcommand(0, 1);
    auto* jobs_list = jobs_cmd->add_subcommand("list", "list unfinished jobs (the default)");
    auto* jobs_resume = jobs_cmd->add_subcommand("resume", "run a job in the foreground");
    auto* jobs_cancel = jobs_cmd->add_subcommand("cancel", "forget a job");
    for (auto* s : {jobs_list, jobs_resume, jobs_cancel}) s->fallthrough();
    jobs_resume->add_option("id", args.job_id, "job id (see `jobs`)")->required();
    jobs_cancel->add_option("id", args.job_id, "job id (see `jobs`)")->required();
    // The subcommand pointers by value: they are locals of this function, the callback runs later.
    jobs_cmd->callback([&action, &args, jobs_resume, jobs_cancel] {
        if (jobs_resume->parsed()) action = [&](const Context& c) { return run_jobs_resume(c, args.job_id); };
        else if (jobs_cancel->parsed()) action = [&](const Context& c) { return run_jobs_cancel(c, args.job_id); };
        else action = run_jobs_list;
    });
}

} // namespace

int main(int argc, char** argv) {
    platform::ignore_broken_pipe(); // `tabagent-cache list | head`: EPIPE, not a signal
    CLI::App app{"Manage the TabAgent / Hugging Face model cache.\n"
                 "Exit codes: 0 ok, 1 other error, 2 usage, 3 not found, 4 auth, 5 network/offline/rate limit,\n"
                 "6 integrity, 7 disk full, 130 interrupted.",
                 "tabagent-cache"};
    app.set_version_flag("-V,--version", std::string("tabagent-cache ") + TABAGENT_VERSION);
    app.require_subcommand(1);
    GlobalOptions global;
    std::string token;
    add_global_flags(app, global, token);

    CommandArgs args;
    Action action;
    add_subcommands(app, args, action);

    // UTF-8 on every platform (Windows: re-read as UTF-16, mingw's argv is the ANSI code page).
    std::vector<std::string> words = platform::command_line_arguments(argc, argv);
    if (!words.empty()) words.erase(words.begin());
    try {
        app.parse(std::vector<std::string>(words.rbegin(), words.rend())); // CLI11 takes them reversed
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        auto word = first_word(words);
        if (!word.empty() && app.get_subcommands([&](CLI::App* s) { return s->get_name() == word; }).empty())
            return usage_error(app, CLI::ExtrasError("unknown command '" + word + "'", CLI::ExitCodes::ExtrasError),
                               wants_json(words));
        return usage_error(app, e, wants_json(words));
    }
    if (app.get_option("--token")->count() > 0) global.token = token;

    setup_logging(global);
    auto config = make_config(global);
    GlobalOptions options = global;
    if (!config) return Context(options, Config{}).report(config.error());
    Context ctx(options, *config);
    if (!action) return ctx.report(Error{ErrorCode::bad_request, "no command given"});

    hub::CurlSession curl_session; // libcurl itself loads on the first network request
    int code = k_exit_other;
    try {
        code = action(ctx);
    } catch (const std::exception& e) {
        code = ctx.report(Error{ErrorCode::internal, e.what()});
    }
    std::cout.flush();
    spdlog::shutdown();
    return code;
}
