#include "host/actions.hpp"

namespace tabagent::host {

void register_all_actions(Router& router) {
    using namespace actions;
    struct Action {
        const char* name;
        Signature* handler;
        Lane lane = Lane::quick;
    };
    // Slow: network, hashing, disk-heavy reads. Quick ones never wait behind them.
    const Action table[] = {
        {"handshake", handshake},
        {"ping", ping},
        {"get_system_info", get_system_info},
        {"get_logs", get_logs},
        {"scan_repo", scan_repo, Lane::slow},
        {"get_manifest", get_manifest, Lane::slow},
        {"list_models", list_models, Lane::slow},
        {"has_file", has_file},
        {"get_file", get_file, Lane::slow},
        {"get_file_path", get_file_path},
        {"delete_model", delete_model, Lane::slow},
        {"get_stats", get_stats, Lane::slow},
        {"clean", clean, Lane::slow},
        {"set_hf_token", set_hf_token, Lane::slow},
        {"get_hf_token_status", get_hf_token_status},
        {"clear_hf_token", clear_hf_token},
        {"download_file", download_file},
        {"download_quant", download_quant},
        {"pull_model", pull_model},
        {"load_model", load_model},
        {"verify", verify},
        {"cancel_download", cancel_download},
        {"pause_download", pause_download},
        {"resume_download", resume_download},
        {"list_downloads", list_downloads},
        {"get_download_status", list_downloads},  // legacy alias
        {"get_active_downloads", list_downloads}, // legacy alias
        {"open_file_server", open_file_server},
    };
    for (const auto& action : table) router.add(action.name, action.handler, action.lane);
}

} // namespace tabagent::host
