#pragma once
// What the machine offers a model runtime: OS, CPU, memory, GPU (best effort), disk free.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace tabagent {

struct SystemInfo {
    std::string os;        // "Linux 6.1.0-18-amd64"
    std::string arch;      // "x86_64"
    std::string cpu_model; // /proc/cpuinfo, the registry (platform::machine_info)
    int cpu_cores = 0;
    std::uint64_t ram_total = 0;
    std::uint64_t ram_available = 0;
    std::string gpu;                    // empty when none is detected
    std::optional<std::uint64_t> vram;  // bytes, when known
};

SystemInfo read_system_info();

} // namespace tabagent
