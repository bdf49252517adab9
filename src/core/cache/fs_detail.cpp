#include "core/cache/fs_detail.hpp"

#include "core/names.hpp"
#include "core/platform/file.hpp"

#include <atomic>

namespace tabagent::cache::detail {
namespace fs = std::filesystem;

bool lexically_within(const fs::path& base, const fs::path& p) {
    auto b = base.lexically_normal();
    auto q = p.lexically_normal();
    auto bi = b.begin();
    auto qi = q.begin();
    for (; bi != b.end(); ++bi, ++qi) {
        if (bi->empty()) continue; // trailing separator of a normalised directory path
        if (qi == q.end() || *bi != *qi) return false;
    }
    return true;
}

fs::path resolve_link_lexically(const fs::path& link, const fs::path& target) {
    if (target.is_absolute()) return target.lexically_normal();
    return (link.parent_path() / target).lexically_normal();
}

bool is_safe_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '.') return false;
    for (char c : name)
        if (c == '/' || c == '\0' || c == '\\') return false;
    return true;
}

std::optional<std::string> repo_from_folder(std::string_view folder) {
    constexpr std::string_view prefix = "models--";
    if (folder.substr(0, prefix.size()) != prefix) return std::nullopt;
    auto rest = folder.substr(prefix.size());
    auto sep = rest.find("--");
    if (sep == std::string_view::npos) return std::nullopt;
    std::string repo = std::string(rest.substr(0, sep)) + "/" + std::string(rest.substr(sep + 2));
    if (!validate_repo(repo)) return std::nullopt;
    return repo;
}

fs::path temp_sibling(const fs::path& final_path) {
    static std::atomic<unsigned> counter{0};
    // The stem is cut so the name stays under NAME_MAX even for long file names.
    auto name = std::string(k_temp_prefix) + final_path.filename().string().substr(0, 100) + "-" +
                std::to_string(platform::pid_for_temp_names()) + "-" + std::to_string(counter.fetch_add(1));
    return final_path.parent_path() / name;
}

} // namespace tabagent::cache::detail
