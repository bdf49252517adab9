// The portable part of platform/fs.hpp: built on its per-platform calls, compiled on every side.
#include "core/platform/file.hpp"
#include "core/platform/fs.hpp"

#include <atomic>
#include <string>

namespace tabagent::platform {

std::optional<bool> symlinks_supported(const std::filesystem::path& dir) {
    static std::atomic<unsigned> counter{0};
    // The ".tabagent-tmp-" prefix is one the cache scan skips, should a kill leave the probe behind.
    const auto stem = ".tabagent-tmp-probe-" + std::to_string(pid_for_temp_names()) + "-" +
                      std::to_string(counter.fetch_add(1));
    const auto target = dir / (stem + "-target");
    const auto link = dir / (stem + "-link");
    auto made = File::create_new(target);
    if (!made || !*made) return std::nullopt;
    made->reset();
    // Relative, like the snapshot links (huggingface_hub probes the same way).
    auto created = platform::create_symlink(target.filename(), link);
    std::optional<bool> answer;
    if (created) answer = *created == LinkResult::created;
    if (answer && *answer) (void)platform::remove_file(link);
    (void)platform::remove_file(target);
    return answer;
}

} // namespace tabagent::platform
