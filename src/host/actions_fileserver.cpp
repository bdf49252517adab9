// open_file_server: the loopback HTTP server for bulk reads (DESIGN §3 "Why a loopback server").
#include "host/actions.hpp"

#include "host/context.hpp"
#include "host/services.hpp"

namespace tabagent::host::actions {

Result<Reply> open_file_server(const Request&, HostContext& ctx) {
    auto info = ctx.services->open_file_server();
    if (!info) return tl::unexpected(info.error());
    // remoteHost / remotePathTemplate are what transformers.js' env takes as they are.
    return payload_reply({{"baseUrl", info->base_url},
                          {"port", info->port},
                          {"token", info->token},
                          {"remoteHost", info->base_url},
                          {"remotePathTemplate", "{model}/resolve/{revision}/"}});
}

} // namespace tabagent::host::actions
