// The wire's naming rule: camelCase, with the legacy snake_case names kept as aliases.
#include "core/wire/wire.hpp"

#include <array>

namespace tabagent::wire {
namespace {
// Names TabAgent's client (or scripts reading `tabagent-cache stats --json`) read before the rule.
// Never remove one; a new field gets no alias.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> k_legacy_aliases{{
    {"cacheRoot", "cache_root"},
    {"diskFree", "disk_free"},
    {"lastAccess", "last_access"},
    {"lastModified", "last_modified"},
    {"partialBytes", "partial_bytes"},
    {"totalRepos", "total_repos"},
    {"totalSize", "total_size"},
}};
} // namespace

std::span<const std::pair<std::string_view, std::string_view>> legacy_aliases() { return k_legacy_aliases; }

void add_legacy_aliases(nlohmann::json& doc) {
    if (doc.is_array()) {
        for (auto& item : doc) add_legacy_aliases(item);
        return;
    }
    if (!doc.is_object()) return;
    for (auto& [name, value] : doc.items()) add_legacy_aliases(value);
    for (const auto& [camel, legacy] : k_legacy_aliases)
        if (auto it = doc.find(camel); it != doc.end()) doc[std::string(legacy)] = *it;
}

} // namespace tabagent::wire
