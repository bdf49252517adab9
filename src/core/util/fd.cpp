#include "core/util/fd.hpp"

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

} // namespace tabagent::util
