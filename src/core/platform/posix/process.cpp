// platform/process.hpp on Linux and macOS.
#include "core/platform/process.hpp"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#if !defined(TABAGENT_POSIX_FALLBACKS) && defined(__linux__)
#include <sys/random.h>
#endif

namespace tabagent::platform {

std::uint32_t process_id() { return static_cast<std::uint32_t>(::getpid()); }

Status random_bytes(std::span<unsigned char> out) {
#if !defined(TABAGENT_POSIX_FALLBACKS) && defined(__linux__)
    std::size_t filled = 0;
    // Requests of up to 256 bytes are never short once the pool is initialised; longer ones may
    // be, and EINTR can only come before any byte was read: loop on both.
    while (filled < out.size()) {
        const ssize_t n = ::getrandom(out.data() + filled, out.size() - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail(ErrorCode::internal, "the system random generator failed");
        filled += static_cast<std::size_t>(n);
    }
#else
    // macOS (and glibc from 2.36): the kernel's CSPRNG through libc; it cannot fail.
    ::arc4random_buf(out.data(), out.size());
#endif
    return {};
}

void ignore_broken_pipe() { std::signal(SIGPIPE, SIG_IGN); }

Result<LibraryHandle> open_library(const char* name) {
    if (void* handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) return handle;
    const char* why = ::dlerror();
    return fail(ErrorCode::not_found, why ? why : std::string("cannot load ") + name);
}

void close_library(LibraryHandle handle) noexcept {
    if (handle) ::dlclose(handle);
}

void* library_symbol(LibraryHandle handle, const char* symbol) { return ::dlsym(handle, symbol); }

std::vector<std::string> command_line_arguments(int argc, char** argv) {
    return std::vector<std::string>(argv, argv + argc);
}

std::optional<std::string> environment_variable(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

std::optional<std::filesystem::path> environment_path(const char* name) {
    auto v = environment_variable(name);
    if (!v) return std::nullopt;
    return std::filesystem::path(*v);
}

Status set_environment_variable(const char* name, const std::optional<std::string>& value) {
    const int rc = value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
    if (rc != 0) return fail(ErrorCode::internal, std::string("cannot set ") + name + ": " + std::strerror(errno));
    return {};
}

std::filesystem::path home_directory() {
    if (auto h = environment_variable("HOME"); h && !h->empty()) return *h;
    return std::filesystem::temp_directory_path();
}

std::filesystem::path user_data_directory() {
#if defined(__APPLE__)
    return home_directory() / "Library" / "Application Support";
#else
    if (auto v = environment_variable("XDG_DATA_HOME"); v && !v->empty()) return *v;
    return home_directory() / ".local" / "share";
#endif
}

Status create_private_directory(const std::filesystem::path& dir) {
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return {};
    return fail(ErrorCode::internal, "cannot create " + dir.string() + ": " + std::strerror(errno));
}

} // namespace tabagent::platform
