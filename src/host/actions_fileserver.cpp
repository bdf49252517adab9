// open_file_server: the loopback HTTP server for bulk reads (DESIGN §3 "Why a loopback server").
#include "host/actions.hpp"

#include "host/context.hpp"
#include "host/services.hpp"

namespace tabagent::host {
namespace {

Result<Reply> open_file_server(const Request&, HostContext& ctx) {
    auto info = ctx.services->open_file_server();
    if (!info) return tl::unexpected(info.error());
    Reply r;
    // remoteHost / remotePathTemplate are what transformers.js' env takes as they are.
    r.payload = {{"baseUrl", info->base_url},
                 {"port", info->port},
                 {"token", info->token},
                 {"remoteHost", info->base_url},
                 {"remotePathTemplate", "{model}/resolve/{revision}/"}};
    return r;
}

} // namespace

void register_fileserver_actions(Router& router) { router.add("open_file_server", open_file_server); }

} // namespace tabagent::host
