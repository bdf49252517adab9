#include "small_fs.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

#if defined(__linux__)
#include <sys/mount.h>
#endif

namespace tabagent::test {

SmallFilesystem::SmallFilesystem(std::filesystem::path dir, const char* size) : m_dir(std::move(dir)) {
    std::error_code ec;
    std::filesystem::create_directories(m_dir, ec);
#if defined(__linux__)
    const std::string options = std::string("size=") + size;
    m_mounted = ::mount("tmpfs", m_dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!m_mounted) m_why_not = std::strerror(errno);
#else
    (void)size;
    m_why_not = "tmpfs mounts are Linux-only";
#endif
}

SmallFilesystem::~SmallFilesystem() {
#if defined(__linux__)
    if (m_mounted) ::umount2(m_dir.c_str(), MNT_DETACH);
#endif
}

} // namespace tabagent::test
