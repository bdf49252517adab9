#pragma once
// The process and its machine (platform/README.md): id, random bytes, dynamic libraries, what
// the machine offers, the environment and the per-user folders. posix/ and windows/ implement it.
#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tabagent::platform {

// This process's id (getpid, GetCurrentProcessId).
std::uint32_t process_id();

// Fills `out` from the system's CSPRNG: getrandom(2) on Linux (arc4random_buf under
// TABAGENT_POSIX_FALLBACKS, as macOS has), BCryptGenRandom on Windows. Safe from any thread.
// INTERNAL when the generator fails.
Status random_bytes(std::span<unsigned char> out);

// A POSIX write to a closed pipe raises SIGPIPE, which ends the process; after this it is an
// EPIPE error instead. Windows has no such signal (a no-op there).
void ignore_broken_pipe();

// Dynamic libraries (dlopen, LoadLibraryW). `name` is a file name the loader searches for. The
// library is never unmapped, even after close_library: a thread still inside it at exit must
// not lose its code (RTLD_NODELETE, GET_MODULE_HANDLE_EX_FLAG_PIN). NOT_FOUND with the
// loader's message when it cannot be opened.
using LibraryHandle = void*;
Result<LibraryHandle> open_library(const char* name);
void close_library(LibraryHandle handle) noexcept;
// The address of `symbol`, or nullptr when the library does not export it.
void* library_symbol(LibraryHandle handle, const char* symbol);

// What the machine offers a model runtime, as far as the OS tells without spawning anything.
struct MachineInfo {
    std::string os;        // "Linux 6.1.0-18-amd64", "Windows 10.0.19045"
    std::string arch;      // "x86_64", "aarch64"
    std::string cpu_model; // /proc/cpuinfo, the registry's ProcessorNameString; empty if unknown
    std::uint64_t ram_total = 0;
    std::uint64_t ram_available = 0;
    std::string gpu;                   // empty when none is detected
    std::optional<std::uint64_t> vram; // bytes, when known
};
MachineInfo machine_info();

// An environment variable as UTF-8 (Windows keeps it as UTF-16); nullopt when unset.
std::optional<std::string> environment_variable(const char* name);
// The same as a path, without a round trip through a narrow code page on Windows.
std::optional<std::filesystem::path> environment_path(const char* name);
// Sets (or, with nullopt, removes) a variable of this process. INTERNAL when the OS refuses.
Status set_environment_variable(const char* name, const std::optional<std::string>& value);

// The program's arguments as UTF-8, argv[0] first: what main() hands every parser. POSIX: argv as
// given (UTF-8 locales). Windows: mingw's argv is in the ANSI code page, which mangles a non-ASCII
// --cache-dir or file name, so the command line is read again in UTF-16 (GetCommandLineW +
// CommandLineToArgvW, the same splitting rules as the CRT's) and converted; argv when that fails.
std::vector<std::string> command_line_arguments(int argc, char** argv);

// The user's home: HOME on POSIX; on Windows USERPROFILE, else HOMEDRIVE + HOMEPATH (what
// Python's os.path.expanduser("~") reads, so huggingface_hub's "~/.cache" is the same folder).
// The temp directory when none is set.
std::filesystem::path home_directory();
// Where per-user application data goes: XDG_DATA_HOME or ~/.local/share on Linux,
// ~/Library/Application Support on macOS, %LOCALAPPDATA% (FOLDERID_LocalAppData) on Windows.
std::filesystem::path user_data_directory();
// Creates `dir` (its parent must exist) readable by the user only: mode 0700 on POSIX; on
// Windows the ACL inherited from the user's profile folder. Ok when it already exists.
Status create_private_directory(const std::filesystem::path& dir);

} // namespace tabagent::platform
