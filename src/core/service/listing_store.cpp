#include "core/service/listing_store.hpp"
#include "core/util/fd.hpp"

#include "core/cache/hub_metadata.hpp"
#include "core/cache/scan.hpp"
#include "core/cache/store.hpp"
#include "core/names.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/time.hpp"


namespace tabagent::service {
namespace fs = std::filesystem;

nlohmann::json listing_to_json(const model::RepoListing& l) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : l.files) files.push_back({{"path", f.path}, {"size", f.size}, {"etag", f.etag}, {"lfs", f.lfs}});
    return {{"repo", l.repo},           {"revision", l.revision}, {"commit", l.commit},
            {"pipeline_tag", l.pipeline_tag}, {"gated", l.gated}, {"private", l.is_private},
            {"files", files}};
}

std::optional<model::RepoListing> listing_from_json(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("files") || !j["files"].is_array()) return std::nullopt;
    model::RepoListing l;
    l.repo = j.value("repo", "");
    l.revision = j.value("revision", "main");
    l.commit = j.value("commit", "");
    l.pipeline_tag = j.value("pipeline_tag", "");
    l.gated = j.value("gated", false);
    l.is_private = j.value("private", false);
    for (const auto& f : j["files"]) {
        if (!f.is_object()) continue;
        model::RepoFile rf;
        rf.path = f.value("path", "");
        rf.size = f.value("size", std::uint64_t{0});
        rf.etag = f.value("etag", "");
        rf.lfs = f.value("lfs", false);
        if (!rf.path.empty() && validate_file_path(rf.path)) l.files.push_back(std::move(rf));
    }
    if (!validate_repo(l.repo)) return std::nullopt;
    return l;
}

fs::path ListingStore::file_for(std::string_view repo) const { return m_dir / (repo_folder_name(repo) + ".json"); }

std::optional<SavedListing> ListingStore::load(std::string_view repo) const {
    const auto text = util::read_file_shared(file_for(repo));
    if (!text) return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    auto listing = listing_from_json(j.value("listing", nlohmann::json()));
    if (!listing || listing->repo != repo) return std::nullopt;
    return SavedListing{*listing, j.value("created_at", ""), j.value("updated_at", "")};
}

Status ListingStore::save(const model::RepoListing& listing) const {
    std::error_code ec;
    fs::create_directories(m_dir, ec);
    auto now = util::now_iso8601();
    auto previous = load(listing.repo);
    nlohmann::json doc = {{"listing", listing_to_json(listing)},
                          {"created_at", previous && !previous->created_at.empty() ? previous->created_at : now},
                          {"updated_at", now}};
    // No fsync: a listing lost to a power cut is fetched again by the next scan. The unique temp
    // name matters: scan_repo and download jobs save the same listing concurrently.
    return util::write_file_atomically(file_for(listing.repo), doc.dump());
}

void ListingStore::remove(std::string_view repo) const {
    std::error_code ec;
    fs::remove(file_for(repo), ec);
}

std::optional<model::RepoListing> listing_from_cache(const fs::path& cache_root, std::string_view repo,
                                                     std::string_view revision) {
    auto scanned = cache::scan_repo(cache_root, repo);
    if (!scanned || scanned->revisions.empty()) return std::nullopt;
    const cache::ScannedRevision* chosen = &scanned->revisions.front(); // newest snapshot
    auto ref = scanned->refs.find(std::string(revision));
    for (const auto& rev : scanned->revisions)
        if (rev.commit == revision || (ref != scanned->refs.end() && rev.commit == ref->second)) chosen = &rev;
    model::RepoListing l;
    l.repo = std::string(repo);
    l.revision = std::string(revision);
    l.commit = chosen->commit;
    for (const auto& f : chosen->files) {
        if (!f.present) continue;
        l.files.push_back(model::RepoFile{f.path, f.size, f.etag, f.etag.size() == 64});
    }
    return l;
}

std::optional<model::RepoListing> listing_from_tree_cache(const cache::Store& store, std::string_view repo,
                                                          std::string_view revision) {
    auto commit = store.resolve_commit(repo, revision);
    if (!commit && is_commit_hash(revision)) commit = std::string(revision);
    if (!commit) return std::nullopt;
    auto files = cache::read_tree_cache(store, repo, *commit);
    if (!files) return std::nullopt;
    model::RepoListing l;
    l.repo = std::string(repo);
    l.revision = std::string(revision);
    l.commit = *commit;
    l.files = std::move(*files);
    return l;
}

} // namespace tabagent::service
