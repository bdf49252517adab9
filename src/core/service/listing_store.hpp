#pragma once
// Repo listings fetched from the Hub, kept in <data dir>/manifests/ so manifests work offline.
// For a repo another tool downloaded (no listing saved), a listing is derived from the cache.
#include "core/error.hpp"
#include "core/model/repo_file.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace tabagent::cache {
class Store;
}

namespace tabagent::service {

nlohmann::json listing_to_json(const model::RepoListing& listing);
std::optional<model::RepoListing> listing_from_json(const nlohmann::json& j);

struct SavedListing {
    model::RepoListing listing;
    std::string created_at; // first time this repo was scanned
    std::string updated_at; // last scan
};

class ListingStore {
public:
    explicit ListingStore(std::filesystem::path dir) : m_dir(std::move(dir)) {}
    std::optional<SavedListing> load(std::string_view repo) const;
    Status save(const model::RepoListing& listing) const;
    void remove(std::string_view repo) const;

private:
    std::filesystem::path file_for(std::string_view repo) const;
    std::filesystem::path m_dir;
};

// A listing made of what the cache holds for `revision` (or its newest snapshot): present files
// only, etag from the blob name. nullopt when the repo is not cached.
std::optional<model::RepoListing> listing_from_cache(const std::filesystem::path& cache_root, std::string_view repo,
                                                     std::string_view revision);

// The listing huggingface_hub saved for the commit `revision` is (or refs/<revision> names):
// trees/<commit>.json, whole. nullopt when there is none.
std::optional<model::RepoListing> listing_from_tree_cache(const cache::Store& store, std::string_view repo,
                                                          std::string_view revision);

} // namespace tabagent::service
