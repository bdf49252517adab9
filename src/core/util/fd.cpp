#include "core/util/fd.hpp"

#include <array>
#include <cstddef>

namespace tabagent::util {

Error errno_error(int err, std::string what, const std::filesystem::path& path) {
    return platform::os_error(std::error_code(err, std::generic_category()), std::move(what), path);
}

Error fs_error(std::error_code ec, std::string what, const std::filesystem::path& path) {
    return platform::os_error(ec, std::move(what), path);
}

Result<bool> create_new_file(const std::filesystem::path& path, std::string_view content) {
    auto created = platform::File::create_new(path);
    if (!created) return tl::unexpected(created.error());
    if (!*created) return false;
    auto& file = **created;
    auto written = file.pwrite_all(content.data(), content.size(), 0);
    if (written) written = file.close();
    if (!written) {
        file.reset();
        (void)platform::remove_file(path); // a torn file would pass for a complete one next time
        return tl::unexpected(written.error());
    }
    return true;
}

std::optional<std::string> read_file_shared(const std::filesystem::path& path) {
    auto file = platform::File::open_read(path);
    if (!file) return std::nullopt;
    std::string content;
    std::array<std::byte, 16 * 1024> buffer{};
    for (std::uint64_t offset = 0;;) {
        auto n = file->pread_some(buffer, offset);
        if (!n) return std::nullopt;
        if (*n == 0) return content;
        content.append(reinterpret_cast<const char*>(buffer.data()), *n);
        offset += *n;
    }
}

} // namespace tabagent::util
