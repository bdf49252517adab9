#pragma once
// Registration of every action family with the router.
#include "host/router.hpp"

namespace tabagent::host {

void register_connection_actions(Router& router);
void register_cache_actions(Router& router);
void register_download_actions(Router& router);
void register_fileserver_actions(Router& router);
// Everything the host answers.
void register_all_actions(Router& router);

} // namespace tabagent::host
