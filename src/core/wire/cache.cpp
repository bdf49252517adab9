// The cache's results as the wire shows them: list, stats, clean, verify.
#include "core/util/time.hpp"
#include "core/wire/wire.hpp"
#include "core/platform/fs.hpp"

namespace tabagent::wire {
namespace {
nlohmann::json optional_number(const std::optional<std::uint64_t>& n) {
    return n ? nlohmann::json(*n) : nlohmann::json(nullptr);
}

nlohmann::json revisions_json(const std::vector<service::CachedRevision>& revisions) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : revisions)
        out.push_back({{"commit", r.commit}, {"refs", r.refs}, {"size", r.size}, {"files", r.files}});
    return out;
}

nlohmann::json problems_json(const std::vector<cache::BlobCheck>& blobs) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& b : blobs) {
        if (b.state == cache::BlobState::ok) continue;
        nlohmann::json p = {{"repo", b.repo},          {"etag", b.etag},    {"state", cache::to_string(b.state)},
                            {"size", b.size},          {"path", platform::reported_path(b.path)}, {"removed", b.removed},
                            {"files", b.files}};
        if (!b.error.empty()) p["error"] = b.error;
        out.push_back(std::move(p));
    }
    return out;
}

nlohmann::json with_aliases(nlohmann::json doc) {
    add_legacy_aliases(doc);
    return doc;
}
} // namespace

nlohmann::json to_json(const service::ModelList& list) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : list.models)
        models.push_back({{"repo", m.repo},
                          {"size", m.size},
                          {"partialBytes", m.partial_bytes},
                          {"files", m.files},
                          {"revisions", revisions_json(m.revisions)},
                          {"variants", m.variants},
                          {"scanned", m.scanned},
                          {"lastAccess", util::iso8601_or_empty(m.last_access)},
                          {"lastModified", util::iso8601_or_empty(m.last_modified)}});
    return with_aliases({{"cacheRoot", platform::reported_path(list.cache_root)}, {"models", std::move(models)}});
}

nlohmann::json to_json(const cache::CacheStats& stats) {
    nlohmann::json repos = nlohmann::json::array();
    for (const auto& r : stats.repos)
        repos.push_back({{"repo", r.repo},
                         {"size", r.size},
                         {"partialBytes", r.partial_bytes},
                         {"files", r.files},
                         {"revisions", r.revisions},
                         {"lastAccess", util::iso8601_or_empty(r.last_access)},
                         {"lastModified", util::iso8601_or_empty(r.last_modified)}});
    return with_aliases({{"cacheRoot", platform::reported_path(stats.root)},
                         {"totalRepos", stats.total_repos},
                         {"totalSize", stats.total_size},
                         {"partialBytes", stats.partial_bytes},
                         {"diskFree", optional_number(stats.disk_free)},
                         {"linkMode", std::string(cache::to_string(stats.link_mode))},
                         {"repos", std::move(repos)},
                         {"warnings", stats.warnings}});
}

nlohmann::json to_json(const cache::CleanReport& report) {
    nlohmann::json removed = nlohmann::json::array(), partials = nlohmann::json::array();
    for (const auto& r : report.removed)
        removed.push_back({{"repo", r.repo},
                           {"bytes", r.bytes},
                           {"reason", r.reason},
                           {"lastAccess", util::iso8601_or_empty(r.last_access)}});
    for (const auto& p : report.removed_partials)
        partials.push_back({{"repo", p.repo},
                            {"etag", p.etag},
                            {"file", p.file},
                            {"writer", p.writer},
                            {"bytes", p.bytes},
                            {"lastModified", util::iso8601_or_empty(p.last_modified)}});
    return with_aliases({{"dryRun", report.dry_run},
                         {"freedBytes", report.freed_bytes},
                         {"totalBefore", report.total_before},
                         {"totalAfter", report.total_after},
                         {"removed", std::move(removed)},
                         {"removedPartials", std::move(partials)},
                         {"skippedBusy", report.skipped_busy},
                         {"warnings", report.warnings}});
}

nlohmann::json to_json(const cache::VerifyReport& report) {
    std::size_t removed = 0;
    for (const auto& b : report.blobs) removed += b.removed ? 1 : 0;
    return with_aliases({{"ok", report.ok},
                         {"bad", report.bad},
                         {"missing", report.missing},
                         {"unverifiable", report.unverifiable},
                         {"unreadable", report.unreadable},
                         {"removed", removed},
                         {"bytesHashed", report.bytes_hashed},
                         {"problems", problems_json(report.blobs)},
                         {"warnings", report.warnings}});
}

} // namespace tabagent::wire
