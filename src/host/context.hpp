#pragma once
// Everything a handler may use. Owned by main; handlers get it by reference.
#include "core/config.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace tabagent::host {

class FrameWriter;
class Router;
struct Services; // core services (cache, hub, jobs), defined in host/services.hpp

struct HostContext {
    Config config;
    FrameWriter* writer = nullptr;
    const Router* router = nullptr;
    std::filesystem::path log_file;
    std::string origin; // caller origin as passed by the browser; empty when run by hand
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    Services* services = nullptr;
};

inline constexpr int k_protocol_version = 1;

} // namespace tabagent::host
