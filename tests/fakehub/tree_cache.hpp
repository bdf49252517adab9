#pragma once
// The sorted tree entries of a repo view, kept between requests: a repo of thousands of files is
// listed in many pages, and building its whole entry list per page made the fake hub, not the
// client, the slow side. Keyed by repo, commit, folder, recursion and a fingerprint of the view's
// files (path, size, etag), so a file changed on disk between requests is never served stale.
#include "repo_store.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace tabagent::fakehub {

class TreeCache {
public:
    using Build = std::function<nlohmann::json()>;
    // The entries for `view` at `prefix`, built by `build` when not cached.
    std::shared_ptr<const nlohmann::json> get(const RepoView& view, const std::string& prefix, bool recursive,
                                              const Build& build) {
        // The fingerprint is computed once per view (RepoStore::build_view), not per page.
        const std::string key = view.id + '\n' + view.sha + '\n' + prefix + '\n' + (recursive ? "r" : "1") + '\n' +
                                std::to_string(view.fingerprint);
        {
            std::lock_guard lock(m_mutex);
            if (auto it = m_entries.find(key); it != m_entries.end()) return it->second;
        }
        auto built = std::make_shared<const nlohmann::json>(build());
        std::lock_guard lock(m_mutex);
        if (m_entries.size() >= 64) m_entries.clear(); // bounded; tests list few repos
        m_entries[key] = built;
        return built;
    }

private:
    std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<const nlohmann::json>> m_entries;
};

} // namespace tabagent::fakehub
