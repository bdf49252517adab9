#include "core/system_info.hpp"

#include "core/platform/process.hpp"

#include <thread>

namespace tabagent {

SystemInfo read_system_info() {
    platform::MachineInfo machine = platform::machine_info();
    SystemInfo info;
    info.os = std::move(machine.os);
    info.arch = std::move(machine.arch);
    info.cpu_model = std::move(machine.cpu_model);
    info.cpu_cores = static_cast<int>(std::thread::hardware_concurrency());
    info.ram_total = machine.ram_total;
    info.ram_available = machine.ram_available;
    info.gpu = std::move(machine.gpu);
    info.vram = machine.vram;
    return info;
}

} // namespace tabagent
