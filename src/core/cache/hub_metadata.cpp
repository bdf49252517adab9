#include "core/cache/hub_metadata.hpp"

#include "core/cache/fs_detail.hpp"
#include "core/cache/store.hpp"
#include "core/names.hpp"
#include "core/platform/fs.hpp"
#include "core/util/atomic_file.hpp"
#include "core/util/fd.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace tabagent::cache {
namespace fs = std::filesystem;

namespace {

constexpr int k_tree_format_version = 1; // _tree_cache.py TREE_CACHE_FORMAT_VERSION
constexpr std::uintmax_t k_max_tree_bytes = 256ull << 20;

std::optional<model::RepoFile> tree_entry(const std::string& path, const nlohmann::json& info) {
    // _tree_cache.py TreeCacheEntry.from_json: "size" and "blob_id" required, the rest optional.
    if (!info.is_object() || !validate_file_path(path)) return std::nullopt;
    const auto size = info.find("size");
    const auto blob_id = info.find("blob_id");
    if (size == info.end() || !size->is_number_unsigned() || blob_id == info.end() || !blob_id->is_string())
        return std::nullopt;
    model::RepoFile f;
    f.path = path;
    f.size = size->get<std::uint64_t>();
    f.blob_id = blob_id->get<std::string>();
    f.etag = f.blob_id;
    if (auto sha = info.find("lfs_sha256"); sha != info.end() && sha->is_string()) {
        f.lfs = true;
        f.etag = sha->get<std::string>();
        if (auto lfs_size = info.find("lfs_size"); lfs_size != info.end() && lfs_size->is_number_unsigned())
            f.size = lfs_size->get<std::uint64_t>();
    }
    if (auto xet = info.find("xet_hash"); xet != info.end() && xet->is_string()) f.xet_hash = xet->get<std::string>();
    if (!detail::is_safe_name(f.etag)) return std::nullopt;
    return f;
}

} // namespace

bool repo_folder_exists(const Store& store, std::string_view repo) {
    if (!validate_repo(repo)) return false;
    auto st = detail::stat_path(store.repo_dir(repo));
    return st && st->kind == detail::Kind::directory;
}

Status ensure_cachedir_tag(const fs::path& root) {
    if (auto made = platform::create_directories(root); !made) return made;
    auto created = util::create_new_file(root / std::string(k_cachedir_tag_name), k_cachedir_tag_content);
    if (!created) return tl::unexpected(created.error());
    return {};
}

fs::path tree_cache_path(const Store& store, std::string_view repo, std::string_view commit) {
    return store.repo_dir(repo) / "trees" / (std::string(commit) + ".json");
}

std::optional<std::vector<model::RepoFile>> read_tree_cache(const Store& store, std::string_view repo,
                                                            std::string_view commit) {
    if (!validate_repo(repo) || !is_commit_hash(commit)) return std::nullopt;
    const auto path = tree_cache_path(store, repo, commit);
    auto st = detail::lstat_path(path);
    if (!st || st->kind != detail::Kind::regular || st->size > k_max_tree_bytes) return std::nullopt;
    const auto text = util::read_file_shared(path);
    if (!text) return std::nullopt;
    auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || doc.value("format_version", 0) != k_tree_format_version) return std::nullopt;
    auto files = doc.find("files");
    if (files == doc.end() || !files->is_object()) return std::nullopt;
    std::vector<model::RepoFile> out;
    out.reserve(files->size());
    for (const auto& [name, info] : files->items()) {
        auto entry = tree_entry(name, info);
        if (!entry) return std::nullopt;
        out.push_back(std::move(*entry));
    }
    return out;
}

Result<bool> write_tree_cache(const Store& store, const model::RepoListing& listing) {
    if (auto st = validate_repo(listing.repo); !st) return tl::unexpected(st.error());
    if (!is_commit_hash(listing.commit)) return false;
    const auto path = tree_cache_path(store, listing.repo, listing.commit);
    if (detail::lstat_path(path)) return false;
    // _tree_cache.py write_tree_cache: files sorted by path, each {"size","blob_id"} then
    // "lfs_sha256"/"lfs_size" for LFS files and "xet_hash" for Xet ones, json.dump(indent=1).
    std::map<std::string, nlohmann::ordered_json> files;
    for (const auto& f : listing.files) {
        nlohmann::ordered_json info;
        if (f.lfs && f.blob_id.empty()) return false;
        info["size"] = f.size; // the tree API's "size" is the file's, LFS or not
        info["blob_id"] = f.blob_id.empty() ? f.etag : f.blob_id;
        if (f.lfs) {
            info["lfs_sha256"] = f.etag;
            info["lfs_size"] = f.size;
        }
        if (!f.xet_hash.empty()) info["xet_hash"] = f.xet_hash;
        files.emplace(f.path, std::move(info));
    }
    nlohmann::ordered_json doc;
    doc["format_version"] = k_tree_format_version;
    doc["files"] = nlohmann::ordered_json::object();
    for (auto& [name, info] : files) doc["files"][name] = std::move(info);
    if (auto made = platform::create_directories(path.parent_path()); !made) return tl::unexpected(made.error());
    // ensure_ascii, as Python's json.dump does by default.
    if (auto st = util::write_file_atomically(path, doc.dump(1, ' ', true)); !st) return tl::unexpected(st.error());
    return true;
}

fs::path no_exist_path(const Store& store, std::string_view repo, std::string_view commit, std::string_view path) {
    return store.repo_dir(repo) / ".no_exist" / std::string(commit) / platform::u8path(path);
}

bool is_known_missing(const Store& store, std::string_view repo, std::string_view path, std::string_view revision) {
    if (!validate_repo(repo) || !validate_file_path(path) || !validate_revision(revision)) return false;
    // try_to_load_from_cache: refs/<revision> turns a branch into its commit; a commit stands as is.
    std::optional<std::string> commit;
    if (is_commit_hash(revision)) commit = std::string(revision);
    else commit = store.read_ref(repo, revision);
    if (!commit) return false;
    auto st = detail::lstat_path(no_exist_path(store, repo, *commit, path));
    return st && st->kind == detail::Kind::regular;
}

Status write_no_exist(const Store& store, std::string_view repo, std::string_view commit, std::string_view path) {
    if (auto st = validate_repo(repo); !st) return st;
    if (auto st = validate_file_path(path); !st) return st;
    if (!is_commit_hash(commit)) return fail(ErrorCode::bad_request, "commit must be 40 lower-case hex characters");
    const auto marker = no_exist_path(store, repo, commit, path);
    if (auto made = platform::create_directories(marker.parent_path()); !made) return made;
    auto created = util::create_new_file(marker, "");
    if (!created) return tl::unexpected(created.error());
    return {};
}

} // namespace tabagent::cache
