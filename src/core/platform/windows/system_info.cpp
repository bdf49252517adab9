// platform::machine_info on Windows: RtlGetVersion, GetNativeSystemInfo, GlobalMemoryStatusEx and
// the registry (CPU name, display adapters). Nothing is spawned, no WMI.
#include "core/platform/process.hpp"

#include "core/platform/windows/utf16.hpp"

#include "core/platform/windows/windows_h.hpp"

#include <cstring>
#include <vector>

namespace tabagent::platform {
using win::to_utf8;

namespace {
// GetVersionEx reports 6.2 to programs without a compatibility manifest; ntdll's RtlGetVersion
// reports the real version (MSDN, "Operating system version").
std::string windows_version() {
    using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
    FARPROC proc = nullptr;
    if (HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll")) proc = ::GetProcAddress(ntdll, "RtlGetVersion");
    OSVERSIONINFOW version{};
    version.dwOSVersionInfoSize = sizeof version;
    if (proc) {
        RtlGetVersionFn rtl_get_version = nullptr;
        std::memcpy(&rtl_get_version, &proc, sizeof proc);
        if (rtl_get_version(&version) != 0) return "Windows";
    } else {
        return "Windows";
    }
    return "Windows " + std::to_string(version.dwMajorVersion) + "." + std::to_string(version.dwMinorVersion) + "." +
           std::to_string(version.dwBuildNumber);
}

std::string architecture() {
    SYSTEM_INFO system{};
    ::GetNativeSystemInfo(&system);
    switch (system.wProcessorArchitecture) {
    case PROCESSOR_ARCHITECTURE_AMD64: return "x86_64";
    case PROCESSOR_ARCHITECTURE_ARM64: return "aarch64";
    case PROCESSOR_ARCHITECTURE_INTEL: return "x86";
    case PROCESSOR_ARCHITECTURE_ARM: return "arm";
    default: return "unknown";
    }
}

// A REG_SZ value under HKEY_LOCAL_MACHINE, trimmed; empty when absent.
std::string registry_string(const wchar_t* key, const wchar_t* name) {
    DWORD bytes = 0;
    if (::RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_REG_SZ, nullptr, nullptr, &bytes) != ERROR_SUCCESS)
        return {};
    std::vector<wchar_t> buffer(bytes / sizeof(wchar_t) + 1, L'\0');
    bytes = static_cast<DWORD>(buffer.size() * sizeof(wchar_t));
    if (::RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_REG_SZ, nullptr, buffer.data(), &bytes) != ERROR_SUCCESS)
        return {};
    std::string text = to_utf8(buffer.data());
    const auto first = text.find_first_not_of(' ');
    const auto last = text.find_last_not_of(' ');
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

// The adapter's memory as the display driver recorded it: HardwareInformation.qwMemorySize
// (REG_QWORD, drivers of Windows 10 on) or HardwareInformation.MemorySize (4 bytes).
std::optional<std::uint64_t> adapter_memory(const std::wstring& key) {
    std::uint64_t qword = 0;
    DWORD bytes = sizeof qword;
    if (::RegGetValueW(HKEY_LOCAL_MACHINE, key.c_str(), L"HardwareInformation.qwMemorySize", RRF_RT_REG_QWORD, nullptr,
                       &qword, &bytes) == ERROR_SUCCESS && qword > 0)
        return qword;
    std::uint32_t dword = 0;
    bytes = sizeof dword;
    if (::RegGetValueW(HKEY_LOCAL_MACHINE, key.c_str(), L"HardwareInformation.MemorySize",
                       RRF_RT_REG_DWORD | RRF_RT_REG_BINARY | RRF_NOEXPAND, nullptr, &dword, &bytes) == ERROR_SUCCESS &&
        bytes == sizeof dword && dword > 0)
        return dword;
    return std::nullopt;
}

// The first display adapter of the Display device class (GUID_DEVCLASS_DISPLAY) that is not
// Windows' software renderer.
void detect_gpu(MachineInfo& info) {
    const std::wstring display_class =
        L"SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}\\";
    for (int index = 0; index < 16; ++index) {
        std::wstring number = std::to_wstring(index); // the subkeys are 0000, 0001, ...
        number.insert(0, 4 - number.size(), L'0');
        const std::wstring key = display_class + number;
        const std::string name = registry_string(key.c_str(), L"DriverDesc");
        if (name.empty() || name.find("Microsoft Basic") != std::string::npos) continue;
        info.gpu = name;
        info.vram = adapter_memory(key);
        return;
    }
}
} // namespace

MachineInfo machine_info() {
    MachineInfo info;
    info.os = windows_version();
    info.arch = architecture();
    info.cpu_model = registry_string(L"HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", L"ProcessorNameString");
    MEMORYSTATUSEX memory{};
    memory.dwLength = sizeof memory;
    if (::GlobalMemoryStatusEx(&memory)) {
        info.ram_total = memory.ullTotalPhys;
        info.ram_available = memory.ullAvailPhys;
    }
    detect_gpu(info);
    return info;
}

} // namespace tabagent::platform
