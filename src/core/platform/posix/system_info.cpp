// platform::machine_info on Linux and macOS. Linux reads /proc and /sys (nothing is spawned);
// under TABAGENT_POSIX_FALLBACKS, or where /proc is missing, only uname and sysconf, which
// macOS also has (its CPU name and GPU need sysctl and IOKit: a macOS port adds those lines).
#include "core/platform/process.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

namespace tabagent::platform {
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

std::uint64_t pages_bytes(long pages) {
    const long page = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return 0;
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
}

// NVIDIA's proc interface, else the first DRM device's PCI vendor. Nothing is spawned.
void detect_gpu(MachineInfo& info) {
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

#if !defined(TABAGENT_POSIX_FALLBACKS) && defined(__linux__)
constexpr bool k_use_proc = true;
#else
constexpr bool k_use_proc = false;
#endif
} // namespace

MachineInfo machine_info() {
    MachineInfo info;
    struct utsname u {};
    if (::uname(&u) == 0) {
        info.os = std::string(u.sysname) + " " + u.release;
        info.arch = u.machine;
    }
    if (k_use_proc) {
        info.cpu_model = first_line_value("/proc/cpuinfo", "model name");
        info.ram_total = meminfo_bytes("MemTotal");
        info.ram_available = meminfo_bytes("MemAvailable");
        detect_gpu(info);
    }
    if (info.ram_total == 0) info.ram_total = pages_bytes(::sysconf(_SC_PHYS_PAGES));
#ifdef _SC_AVPHYS_PAGES
    if (info.ram_available == 0) info.ram_available = pages_bytes(::sysconf(_SC_AVPHYS_PAGES));
#endif
    return info;
}

} // namespace tabagent::platform
