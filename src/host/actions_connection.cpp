// Connection actions: handshake, ping, get_system_info, get_logs.
#include "host/actions.hpp"

#include "core/cache/stats.hpp"
#include "core/platform/process.hpp"
#include "core/system_info.hpp"
#include "host/context.hpp"
#include "host/fields.hpp"
#include "core/platform/fs.hpp"

#include <deque>
#include <fstream>

namespace tabagent::host::actions {

Result<Reply> handshake(const Request&, HostContext& ctx) {
    Reply r;
    r.payload = {{"version", TABAGENT_VERSION},
                 {"pid", platform::process_id()},
                 {"protocolVersion", k_protocol_version},
                 {"capabilities", ctx.router ? ctx.router->actions() : std::vector<std::string>{}},
                 {"cacheRoot", platform::reported_path(ctx.config.cache_root)},
                 {"dataDir", platform::reported_path(ctx.config.data_dir)},
                 {"offline", ctx.config.offline},
                 {"endpoint", ctx.config.endpoint}};
    r.top = {{"version", TABAGENT_VERSION}, {"pid", platform::process_id()}};
    return r;
}

Result<Reply> ping(const Request&, HostContext&) {
    Reply r;
    r.payload = {{"response", "pong"}, {"version", TABAGENT_VERSION}, {"pid", platform::process_id()}};
    r.top = r.payload;
    return r;
}

Result<Reply> get_system_info(const Request&, HostContext& ctx) {
    SystemInfo info = read_system_info();
    auto disk_free = cache::disk_free(ctx.config.cache_root);
    nlohmann::json vram = info.vram ? nlohmann::json(*info.vram) : nlohmann::json(nullptr);
    nlohmann::json gpu = info.gpu.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.gpu);
    nlohmann::json flat = {{"os", info.os},
                           {"arch", info.arch},
                           {"cpu", info.cpu_model},
                           {"cpu_cores", info.cpu_cores},
                           {"ram", info.ram_total},
                           {"ram_available", info.ram_available},
                           {"gpu", gpu},
                           {"vram", vram},
                           {"cache_root", platform::reported_path(ctx.config.cache_root)},
                           {"cache_disk_free", disk_free ? nlohmann::json(*disk_free) : nlohmann::json(nullptr)}};
    flat["data"] = {{"os", info.os}, {"cpu", info.cpu_model}, {"ram", info.ram_total}, {"gpu", gpu}, {"vram", vram}};
    Reply r;
    r.payload = flat;
    r.top = flat;
    return r;
}

Result<Reply> get_logs(const Request& req, HostContext& ctx) {
    auto wanted = optional_uint(req.body, "lines");
    if (!wanted) return tl::unexpected(wanted.error());
    std::size_t limit = static_cast<std::size_t>(std::min<std::uint64_t>(wanted->value_or(100), 2000));
    std::deque<std::string> tail;
    std::size_t total = 0;
    std::ifstream in(ctx.log_file);
    std::string line;
    while (in && std::getline(in, line)) {
        ++total;
        tail.push_back(std::move(line));
        if (tail.size() > limit) tail.pop_front();
    }
    // Keep the reply well under the 1 MiB frame limit: drop the oldest lines first.
    std::size_t bytes = 0;
    for (const auto& l : tail) bytes += l.size() + 8;
    while (bytes > 900 * 1024 && !tail.empty()) {
        bytes -= tail.front().size() + 8;
        tail.pop_front();
    }
    nlohmann::json lines = nlohmann::json::array();
    for (auto& l : tail) lines.push_back(std::move(l));
    Reply r;
    r.payload = {{"lines", lines}, {"log_file", platform::reported_path(ctx.log_file)}, {"total_lines", total}};
    r.top = r.payload;
    return r;
}

} // namespace tabagent::host::actions
