// platform/os.hpp, POSIX side (Linux and macOS).
#include "core/platform/os.hpp"

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#include <cstdint>
#include <vector>
#endif

namespace tabagent::platform {
namespace fs = std::filesystem;

Os os_kind() noexcept {
#if defined(__APPLE__)
    return Os::macos;
#else
    return Os::linux_;
#endif
}

Result<fs::path> current_executable() {
#if defined(__APPLE__)
    // No /proc on macOS: dyld knows the path the program was started with (may hold links).
    std::uint32_t size = 0;
    _NSGetExecutablePath(nullptr, &size);
    std::vector<char> buffer(size + 1, '\0');
    if (_NSGetExecutablePath(buffer.data(), &size) != 0)
        return fail(ErrorCode::internal, "cannot tell the path of the running program");
    std::error_code ec;
    fs::path path = fs::weakly_canonical(fs::path(buffer.data()), ec);
    return ec ? fs::path(buffer.data()) : path;
#else
    // Linux (also with TABAGENT_POSIX_FALLBACKS: POSIX has no portable call for this; macOS has
    // its own branch above).
    std::error_code ec;
    fs::path path = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return fail(ErrorCode::internal, "cannot read /proc/self/exe: " + ec.message());
    return path;
#endif
}

} // namespace tabagent::platform
