#pragma once
// The subcommands. Each takes its parsed arguments, calls the core, prints through the Context,
// and returns the process exit code (exit_codes.hpp).
#include "cli/context.hpp"

#include <optional>
#include <string>
#include <vector>

namespace tabagent::cli {

int run_list(const Context& ctx);
int run_stats(const Context& ctx);

struct ScanArgs {
    std::string repo;
    std::string revision = "main";
};
int run_scan(const Context& ctx, const ScanArgs& args);

struct ManifestArgs {
    std::string repo;
    std::string format = "native";
};
int run_manifest(const Context& ctx, const ManifestArgs& args);

struct DownloadArgs {
    std::string repo;
    std::string variant;
    std::vector<std::string> files;
    std::string revision = "main";
};
int run_download(const Context& ctx, const DownloadArgs& args);

struct VerifyArgs {
    std::string repo;   // empty: the whole cache
    bool remove = false; // delete bad blobs (their files then read as absent)
};
int run_verify(const Context& ctx, const VerifyArgs& args);

struct CleanArgs {
    std::string max_size;
    std::string older_than;
    bool dry_run = false;
};
int run_clean(const Context& ctx, const CleanArgs& args);

struct DeleteArgs {
    std::string repo;
    std::string variant;
    bool yes = false;
};
int run_delete(const Context& ctx, const DeleteArgs& args);

int run_jobs_list(const Context& ctx);
int run_jobs_resume(const Context& ctx, const std::string& job_id);
int run_jobs_cancel(const Context& ctx, const std::string& job_id);

} // namespace tabagent::cli
