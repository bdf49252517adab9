#include "small_fs.hpp"

#include <system_error>

namespace tabagent::test {

// Windows mounts no size-limited filesystem for a user (a VHD needs admin rights).
SmallFilesystem::SmallFilesystem(std::filesystem::path dir, const char*) : m_dir(std::move(dir)) {
    std::error_code ec;
    std::filesystem::create_directories(m_dir, ec);
    m_why_not = "no small filesystem without admin rights on Windows";
}

SmallFilesystem::~SmallFilesystem() = default;

} // namespace tabagent::test
