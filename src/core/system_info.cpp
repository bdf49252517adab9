#include "core/system_info.hpp"

#include <fstream>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

namespace tabagent {
namespace fs = std::filesystem;

namespace {
std::string first_line_value(const fs::path& file, const std::string& key) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto value = line.substr(colon + 1);
        auto start = value.find_first_not_of(" \t");
        return start == std::string::npos ? "" : value.substr(start);
    }
    return {};
}

std::uint64_t meminfo_bytes(const std::string& key) {
    auto v = first_line_value("/proc/meminfo", key);
    try {
        return v.empty() ? 0 : std::stoull(v) * 1024; // reported in kB
    } catch (...) {
        return 0;
    }
}

std::string read_trimmed(const fs::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

// NVIDIA's proc interface, else the first DRM device's PCI vendor. Nothing is spawned.
void detect_gpu(SystemInfo& info) {
    std::error_code ec;
    for (const auto& dir : fs::directory_iterator("/proc/driver/nvidia/gpus", ec)) {
        auto model = first_line_value(dir.path() / "information", "Model");
        if (!model.empty()) {
            info.gpu = model;
            return;
        }
    }
    for (const auto& dir : fs::directory_iterator("/sys/class/drm", ec)) {
        auto name = dir.path().filename().string();
        if (name.rfind("card", 0) != 0 || name.find('-') != std::string::npos) continue;
        auto vendor = read_trimmed(dir.path() / "device" / "vendor");
        if (vendor == "0x10de") info.gpu = "NVIDIA";
        else if (vendor == "0x1002") info.gpu = "AMD";
        else if (vendor == "0x8086") info.gpu = "Intel";
        else if (!vendor.empty()) info.gpu = "PCI vendor " + vendor;
        auto vram = read_trimmed(dir.path() / "device" / "mem_info_vram_total");
        if (!vram.empty()) {
            try {
                info.vram = std::stoull(vram);
            } catch (...) {
            }
        }
        if (!info.gpu.empty()) return;
    }
}
} // namespace

SystemInfo read_system_info() {
    SystemInfo info;
    struct utsname u {};
    if (uname(&u) == 0) {
        info.os = std::string(u.sysname) + " " + u.release;
        info.arch = u.machine;
    }
    info.cpu_model = first_line_value("/proc/cpuinfo", "model name");
    info.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
    info.ram_total = meminfo_bytes("MemTotal");
    info.ram_available = meminfo_bytes("MemAvailable");
    if (info.ram_total == 0) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
        if (pages > 0 && page > 0) info.ram_total = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
    }
    detect_gpu(info);
    return info;
}

} // namespace tabagent
