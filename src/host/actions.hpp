#pragma once
// Every action the host answers: the handlers (one file per family) and the one table that
// registers them with their lane and legacy aliases (actions.cpp).
#include "host/router.hpp"

namespace tabagent::host {

// Everything the host answers.
void register_all_actions(Router& router);

namespace actions {
// Each takes the request and the host context and returns the reply (or the error).
using Signature = Result<Reply>(const Request&, HostContext&);

// Connection (actions_connection.cpp).
Signature handshake, ping, get_system_info, get_logs;
// Cache, no network (actions_cache.cpp), and the Hub token.
Signature scan_repo, get_manifest, list_models, has_file, get_file, get_file_path, delete_model, get_stats, clean;
Signature set_hf_token, get_hf_token_status, clear_hf_token;
// Jobs (actions_download.cpp): each answers at once with a jobId; the work continues as events.
Signature download_file, download_quant, pull_model, load_model, verify;
Signature cancel_download, pause_download, resume_download, list_downloads;
// The loopback file server (actions_fileserver.cpp).
Signature open_file_server;
} // namespace actions

} // namespace tabagent::host
