#include "host/actions.hpp"

namespace tabagent::host {

void register_all_actions(Router& router) {
    register_connection_actions(router);
    register_cache_actions(router);
    register_download_actions(router);
    register_fileserver_actions(router);
}

} // namespace tabagent::host
