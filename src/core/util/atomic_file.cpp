#include "core/util/atomic_file.hpp"

#include "core/util/random.hpp"

#include "core/platform/fs.hpp"

#include <algorithm>
#include <string>

namespace tabagent::util {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view k_temp_marker = ".tmp";
constexpr std::size_t k_random_bytes = 8;   // 16 hex characters
constexpr std::size_t k_max_name_kept = 200; // the temp name stays under NAME_MAX (255)

Result<fs::path> unique_temp_for(const fs::path& target) {
    auto random = random_hex(k_random_bytes);
    if (!random) return tl::unexpected(random.error());
    auto name = target.filename().string().substr(0, k_max_name_kept);
    name += std::string(k_temp_marker) + "." + std::to_string(platform::pid_for_temp_names()) + "." + *random;
    return target.parent_path() / name;
}

bool all_of(std::string_view text, bool (*accept)(char)) {
    return !text.empty() && std::all_of(text.begin(), text.end(), accept);
}

// Names the target in the writer's own error ("write: No space left on device" says nothing
// about which file).
Error about(Error error, const fs::path& target) {
    error.message = "cannot write " + target.string() + ": " + error.message;
    if (error.details.is_object() && error.details.value("path", std::string()).empty())
        error.details["path"] = target.string();
    return error;
}

} // namespace

bool is_atomic_temp_name(std::string_view name) {
    const auto last_dot = name.rfind('.');
    if (last_dot == std::string_view::npos) return false;
    const auto random = name.substr(last_dot + 1);
    if (random.size() != 2 * k_random_bytes ||
        !all_of(random, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
        return false;
    auto rest = name.substr(0, last_dot);
    const auto pid_dot = rest.rfind('.');
    if (pid_dot == std::string_view::npos || !all_of(rest.substr(pid_dot + 1), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    rest = rest.substr(0, pid_dot);
    return rest.size() > k_temp_marker.size() && rest.substr(rest.size() - k_temp_marker.size()) == k_temp_marker;
}

Status write_file_atomically(const fs::path& target, std::string_view content, const AtomicWriteOptions& options) {
    return write_file_atomically(
        target, [content](const UniqueFd& fd) { return fd.pwrite_all(content.data(), content.size(), 0); }, options);
}

Status write_file_atomically(const fs::path& target, const TempWriter& write, const AtomicWriteOptions& options) {
    auto temp = unique_temp_for(target);
    if (!temp) return tl::unexpected(temp.error());
    // O_EXCL: the name is this writer's alone; a clash (same pid and 64 random bits) fails loudly
    // instead of sharing a file with another writer.
    auto created = platform::File::create_new(*temp, options.mode);
    if (!created) return tl::unexpected(created.error());
    if (!*created) return fail(ErrorCode::internal, "temp file already exists", {{"path", temp->string()}});
    UniqueFd fd = std::move(**created);
    auto discard = [&](Error error) -> Status {
        fd.reset();
        (void)platform::remove_file(*temp);
        return tl::unexpected(std::move(error));
    };
    if (auto written = write(fd); !written) return discard(about(written.error(), target));
    if (options.durability != Durability::none)
        if (auto synced = fd.sync_data(); !synced) return discard(about(synced.error(), *temp));
    // close(2) can be where a network filesystem reports a failed write (EIO, ENOSPC).
    if (auto closed = fd.close(); !closed) return discard(about(closed.error(), *temp));
    // Windows: a reader holding the target open without FILE_SHARE_DELETE makes the replace wait
    // (platform::RetryBudget); on POSIX the rename never waits.
    if (auto renamed = platform::rename_replace(*temp, target); !renamed)
        return discard(renamed.error());
    if (options.durability == Durability::file_and_directory) return fsync_directory(target.parent_path());
    return {};
}

} // namespace tabagent::util
