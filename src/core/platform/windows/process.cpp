// platform/process.hpp on Windows.
#include "core/platform/process.hpp"

#include "core/platform/windows/utf16.hpp"

#include "core/platform/windows/windows_h.hpp"
#include <bcrypt.h>
#include <shellapi.h>
#include <shlobj.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace tabagent::platform {
using win::error_text;
using win::to_utf16;
using win::to_utf8;

std::uint32_t process_id() { return static_cast<std::uint32_t>(::GetCurrentProcessId()); }

Status random_bytes(std::span<unsigned char> out) {
    // The system-preferred RNG needs no algorithm handle (MSDN, BCryptGenRandom); ULONG-sized
    // chunks for the (theoretical) request over 4 GiB.
    std::size_t done = 0;
    while (done < out.size()) {
        const ULONG chunk = static_cast<ULONG>(std::min<std::size_t>(out.size() - done, 0x40000000));
        const NTSTATUS status =
            ::BCryptGenRandom(nullptr, out.data() + done, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
        if (status < 0) return fail(ErrorCode::internal, "the system random generator failed (BCryptGenRandom)");
        done += chunk;
    }
    return {};
}

void ignore_broken_pipe() {} // WriteFile on a closed pipe fails with ERROR_NO_DATA: no signal

Result<LibraryHandle> open_library(const char* name) {
    const std::wstring wide = to_utf16(name);
    HMODULE module = ::LoadLibraryW(wide.c_str());
    if (!module) {
        const DWORD error = ::GetLastError();
        return fail(ErrorCode::not_found, std::string(name) + ": " + error_text(error));
    }
    // Pinned: stays loaded until the process ends, whatever FreeLibrary calls follow.
    HMODULE pinned = nullptr;
    ::GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN, wide.c_str(), &pinned);
    return static_cast<LibraryHandle>(module);
}

void close_library(LibraryHandle handle) noexcept {
    if (handle) ::FreeLibrary(static_cast<HMODULE>(handle));
}

void* library_symbol(LibraryHandle handle, const char* symbol) {
    FARPROC proc = ::GetProcAddress(static_cast<HMODULE>(handle), symbol);
    void* address = nullptr;
    static_assert(sizeof address == sizeof proc);
    std::memcpy(&address, &proc, sizeof address); // a function address as data, as dlsym gives
    return address;
}

namespace {
std::optional<std::wstring> wide_variable(const char* name) {
    const std::wstring wide_name = to_utf16(name);
    std::wstring value(64, L'\0');
    while (true) {
        ::SetLastError(ERROR_SUCCESS);
        const DWORD n = ::GetEnvironmentVariableW(wide_name.c_str(), value.data(), static_cast<DWORD>(value.size()));
        if (n == 0) {
            if (::GetLastError() == ERROR_ENVVAR_NOT_FOUND) return std::nullopt;
            return std::wstring(); // set, but empty
        }
        if (n < value.size()) {
            value.resize(n);
            return value;
        }
        value.resize(n); // n is the size needed, terminator included
    }
}
} // namespace

std::vector<std::string> command_line_arguments(int argc, char** argv) {
    int count = 0;
    LPWSTR* wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
    if (!wide) return std::vector<std::string>(argv, argv + argc);
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) out.push_back(to_utf8(wide[i]));
    ::LocalFree(wide);
    return out;
}

std::optional<std::string> environment_variable(const char* name) {
    auto wide = wide_variable(name);
    if (!wide) return std::nullopt;
    return to_utf8(*wide);
}

std::optional<std::filesystem::path> environment_path(const char* name) {
    auto wide = wide_variable(name);
    if (!wide) return std::nullopt;
    return std::filesystem::path(*wide);
}

Status set_environment_variable(const char* name, const std::optional<std::string>& value) {
    const std::wstring wide_name = to_utf16(name);
    const std::wstring wide_value = value ? to_utf16(*value) : std::wstring();
    // The C runtime's copy first (what getenv reads): it cannot hold an empty value, "NAME="
    // removes the variable there, and _wputenv updates the process environment too. Then the
    // process environment itself (GetEnvironmentVariableW, child processes), which can.
    std::wstring assignment = wide_name + L"=" + wide_value;
    if (::_wputenv(assignment.c_str()) != 0) return fail(ErrorCode::internal, std::string("cannot set ") + name);
    if (!::SetEnvironmentVariableW(wide_name.c_str(), value ? wide_value.c_str() : nullptr)) {
        const DWORD error = ::GetLastError();
        if (!value && error == ERROR_ENVVAR_NOT_FOUND) return {}; // already gone
        return fail(ErrorCode::internal, std::string("cannot set ") + name + ": " + error_text(error));
    }
    return {};
}

std::filesystem::path home_directory() {
    // Python's ntpath.expanduser (3.8 on): USERPROFILE, else HOMEDRIVE + HOMEPATH; HOME is ignored.
    if (auto profile = wide_variable("USERPROFILE"); profile && !profile->empty()) return *profile;
    auto drive = wide_variable("HOMEDRIVE");
    auto path = wide_variable("HOMEPATH");
    if (drive && path && !path->empty()) return std::filesystem::path(*drive + *path);
    return std::filesystem::temp_directory_path();
}

std::filesystem::path user_data_directory() {
    if (auto local = wide_variable("LOCALAPPDATA"); local && !local->empty()) return *local;
    wchar_t* folder = nullptr;
    std::filesystem::path result;
    if (SUCCEEDED(::SHGetKnownFolderPath(FOLDERID_LocalAppData, 0, nullptr, &folder)) && folder) result = folder;
    ::CoTaskMemFree(folder);
    if (result.empty()) result = home_directory() / "AppData" / "Local";
    return result;
}

Status create_private_directory(const std::filesystem::path& dir) {
    // The default security descriptor inherits the parent's ACL: under the user's profile
    // (%LOCALAPPDATA%) that is the user, SYSTEM and Administrators only.
    if (::CreateDirectoryW(dir.c_str(), nullptr)) return {};
    const DWORD error = ::GetLastError();
    if (error == ERROR_ALREADY_EXISTS) return {};
    return fail(ErrorCode::internal, "cannot create " + to_utf8(dir.native()) + ": " + error_text(error));
}

} // namespace tabagent::platform
