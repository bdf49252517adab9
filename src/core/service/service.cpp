#include "core/service/service.hpp"

#include "core/cache/delete.hpp"
#include "core/cache/hub_metadata.hpp"
#include "core/cache/lock.hpp"
#include "core/cache/partials.hpp"
#include "core/cache/scan.hpp"
#include "core/download/engine.hpp"
#include "core/hub/client.hpp"
#include "core/hub/rate_budget.hpp"
#include "core/hub/token.hpp"
#include "core/model/manifest.hpp"
#include "core/model/recommend.hpp"
#include "core/names.hpp"
#include "core/util/base64.hpp"
#include "core/util/fd.hpp"
#include "core/util/time.hpp"
#include "core/wire/wire.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <vector>

namespace tabagent::service {
namespace fs = std::filesystem;

namespace {
Status validate_repo_and_file(const std::string& repo, const std::string& file) {
    if (auto st = validate_repo(repo); !st) return st;
    return validate_file_path(file);
}
} // namespace

ModelService::ModelService(Config config)
    : m_config(std::move(config)), m_store(m_config.cache_root), m_listings(m_config.manifests_dir()),
      m_budgets(std::make_shared<hub::HostBudgets>()) {}

ModelService::~ModelService() = default;

std::unique_ptr<hub::HubClient> ModelService::make_client(std::stop_token stop, hub::WaitCallback on_wait) const {
    auto token = hub::resolve_token(m_config);
    hub::ClientOptions options;
    options.budgets = m_budgets;
    options.stop = std::move(stop);
    options.on_wait = std::move(on_wait);
    return std::make_unique<hub::HubClient>(m_config, token ? std::optional<std::string>(token->value) : std::nullopt,
                                            std::move(options));
}

Result<model::RepoListing> ModelService::shared_listing(const std::string& repo, const std::string& revision,
                                                        ListingFlights::Clock::time_point fresh_after,
                                                        std::stop_token stop, const hub::WaitCallback& on_wait) {
    return m_flights.get(repo, revision, fresh_after, std::move(stop), on_wait,
                         [&](const hub::WaitCallback& tell, std::stop_token leader_stop) {
                             auto listing = make_client(std::move(leader_stop), tell)->list_repo(repo, revision);
                             if (listing)
                                 if (auto st = m_listings.save(*listing); !st) spdlog::warn("{}", st.error().message);
                             return listing;
                         });
}

Result<download::Engine*> ModelService::engine() {
    std::lock_guard lock(m_engine_mutex);
    if (!m_engine) {
        if (auto curl = hub::load_curl(); !curl) return tl::unexpected(curl.error());
        download::EngineOptions options;
        options.max_connections = m_config.max_connections_per_host;
        options.start_connections = m_config.start_connections;
        options.max_connections_per_file = m_config.max_connections_per_host;
        options.rate_limit_bytes_per_second = m_config.rate_limit_bytes_per_second;
        options.first_byte_timeout = m_config.first_byte_timeout;
        options.stall_timeout = m_config.stall_timeout;
        options.budgets = m_budgets;
        m_engine = std::make_unique<download::Engine>(options);
    }
    return m_engine.get();
}

void ModelService::set_rate_limit(std::uint64_t bytes_per_second) {
    m_config.rate_limit_bytes_per_second = bytes_per_second;
    std::lock_guard lock(m_engine_mutex);
    if (m_engine) m_engine->set_rate_limit(bytes_per_second);
}

Result<model::RepoListing> ModelService::scan_repo(const std::string& repo, const std::string& revision) {
    if (auto st = validate_repo(repo); !st) return tl::unexpected(st.error());
    if (auto st = validate_revision(revision); !st) return tl::unexpected(st.error());
    // A scan joins a listing already running, or lists anew: never one that ended before it.
    auto listing = shared_listing(repo, revision, ListingFlights::Clock::now(), {}, {});
    if (!listing) return listing;
    // The listing goes where huggingface_hub keeps it too (trees/<commit>.json), so a peer can
    // skip its own listing and HEADs; only for a repo already cached (a scan alone must not make a
    // repo appear in `list`).
    if (cache::repo_folder_exists(m_store, repo))
        if (auto st = cache::write_tree_cache(m_store, *listing); !st) spdlog::warn("{}", st.error().message);
    return listing;
}

Result<SavedListing> ModelService::known_listing(const std::string& repo, const std::string& revision) const {
    if (auto st = validate_repo(repo); !st) return tl::unexpected(st.error());
    if (auto saved = m_listings.load(repo)) return *saved;
    // A repo another tool downloaded: huggingface_hub's saved listing of the commit is whole;
    // a listing derived from the snapshot holds only what is present.
    if (auto listing = listing_from_tree_cache(m_store, repo, revision)) {
        SavedListing s;
        s.listing = std::move(*listing);
        return s;
    }
    if (auto derived = listing_from_cache(m_config.cache_root, repo, revision)) {
        SavedListing s;
        s.listing = std::move(*derived);
        return s;
    }
    return fail(ErrorCode::not_found, "repo is neither cached nor scanned; scan it first", {{"repo", repo}});
}

Result<nlohmann::json> ModelService::manifest(const std::string& repo, const std::string& format) const {
    if (format != "native" && format != "extension")
        return fail(ErrorCode::bad_request, "format must be \"native\" or \"extension\"", {{"format", format}});
    auto saved = known_listing(repo);
    if (!saved) return tl::unexpected(saved.error());
    const auto& listing = saved->listing;
    model::Presence presence = [&](const model::RepoFile& f) {
        model::FileState state;
        auto found = m_store.find_file(repo, f.path, listing.commit);
        if (found && (found->etag.empty() || f.etag.empty() || found->etag == f.etag)) {
            state.present = true;
            state.present_bytes = found->size;
        } else if (!f.etag.empty()) {
            std::error_code ec;
            auto partial = fs::file_size(m_store.partial_path(repo, f.etag), ec);
            if (!ec) state.present_bytes = partial;
        }
        return state;
    };
    model::ManifestOptions options;
    options.created_at = saved->created_at;
    options.updated_at = saved->updated_at.empty() ? util::now_iso8601() : saved->updated_at;
    options.server_only_limit = m_config.server_only_threshold;
    options.offline = m_config.offline;
    auto grouping = model::group_files(listing.files);
    return format == "native" ? model::native_manifest(listing, grouping, presence, options)
                              : model::extension_manifest(listing, grouping, presence, options);
}

ModelList ModelService::list_models() const {
    auto scan = cache::scan_cache(m_config.cache_root);
    ModelList list;
    list.cache_root = m_config.cache_root;
    for (const auto& repo : scan.repos) {
        CachedModel& model = list.models.emplace_back();
        model.repo = repo.repo;
        model.size = repo.size_on_disk;
        model.partial_bytes = repo.partial_bytes;
        model.files = repo.file_count;
        model.last_access = repo.last_accessed;
        model.last_modified = repo.last_modified;
        std::set<std::string> present_paths;
        std::vector<model::RepoFile> present_files;
        for (const auto& rev : repo.revisions) {
            model.revisions.push_back({rev.commit, rev.refs, rev.size, rev.files.size()});
            for (const auto& f : rev.files)
                if (f.present && present_paths.insert(f.path).second)
                    present_files.push_back({f.path, f.size, f.etag, f.etag.size() == 64});
        }
        // A variant is present when all its files are; the listing (when known) says what "all" is.
        auto saved = m_listings.load(repo.repo);
        model.scanned = saved.has_value();
        auto grouping = model::group_files(saved ? saved->listing.files : present_files);
        for (const auto& v : grouping.variants) {
            bool all = !v.files.empty() && std::all_of(v.files.begin(), v.files.end(), [&](const std::string& p) {
                return present_paths.count(p) > 0;
            });
            if (all) model.variants.push_back(v.name);
        }
    }
    return list;
}

namespace {

// A link names its blob; a copy (no link rights: a degraded cache) lost that name, and the
// commit's tree listing, written beside every download, still knows it.
std::string etag_of(const cache::Store& store, const std::string& repo, const std::string& file,
                    const cache::CachedFile& found) {
    if (found.blob_path != found.snapshot_path) return found.blob_path.filename().string();
    if (auto tree = cache::read_tree_cache(store, repo, found.commit))
        for (const auto& f : *tree)
            if (f.path == file) return f.etag;
    return {};
}

} // namespace

Result<FilePresence> ModelService::has_file(const std::string& repo, const std::string& file,
                                            const std::string& revision) const {
    if (auto st = validate_repo_and_file(repo, file); !st) return tl::unexpected(st.error());
    if (auto st = validate_revision(revision); !st) return tl::unexpected(st.error());
    FilePresence p;
    if (auto found = m_store.find_file(repo, file, revision)) {
        p.exists = true;
        p.size = found->size;
        p.path = found->snapshot_path;
        p.blob_path = found->blob_path;
        p.commit = found->commit;
        p.etag = etag_of(m_store, repo, file, *found);
    } else {
        p.known_missing = cache::is_known_missing(m_store, repo, file, revision);
    }
    return p;
}

Result<FileChunk> ModelService::read_chunk(const std::string& repo, const std::string& file, std::uint64_t offset,
                                           std::uint64_t length, const std::string& revision) const {
    std::vector<std::byte> buffer;
    auto chunk = read_chunk_into(repo, file, offset, length, revision, [&](std::uint64_t want) {
        buffer.resize(want);
        return std::span<std::byte>(buffer);
    });
    if (chunk && chunk->length > 0) chunk->data_base64 = util::base64_encode(buffer.data(), chunk->length);
    return chunk;
}

Result<FileChunk> ModelService::read_chunk_into(const std::string& repo, const std::string& file,
                                                std::uint64_t offset, std::uint64_t length,
                                                const std::string& revision, const ChunkBuffer& room) const {
    auto presence = has_file(repo, file, revision);
    if (!presence) return tl::unexpected(presence.error());
    if (!presence->exists) return fail(ErrorCode::not_found, "file is not in the cache", {{"repo", repo}, {"file", file}});
    auto fd = util::UniqueFd::open_read(presence->blob_path);
    if (!fd) return tl::unexpected(fd.error());
    auto size = fd->size();
    if (!size) return tl::unexpected(size.error());
    FileChunk chunk;
    chunk.size = *size;
    chunk.offset = offset;
    if (offset >= *size) {
        chunk.eof = true;
        return chunk;
    }
    std::uint64_t want = std::min<std::uint64_t>({length == 0 ? k_max_chunk_bytes : length, k_max_chunk_bytes, *size - offset});
    std::span<std::byte> buffer = room(want);
    std::uint64_t got = 0;
    while (got < want) {
        auto n = fd->pread_some(buffer.subspan(got), offset + got);
        if (!n) return tl::unexpected(n.error());
        if (*n == 0) break;
        got += *n;
    }
    chunk.length = got;
    chunk.eof = offset + got >= *size;
    return chunk;
}

Result<std::uint64_t> ModelService::delete_model(const std::string& repo, const std::string& quant) {
    if (auto st = validate_repo(repo); !st) return tl::unexpected(st.error());
    // In this process: one delete of a repo at a time, none during its download (ARCHITECTURE.md,
    // "Concurrent operations on one repo"); across processes: the repo's blob locks.
    auto deleting = m_repo_activity.begin_delete(repo);
    if (!deleting) return tl::unexpected(deleting.error());
    // Another tool's partial whose lock is held (llama.cpp downloading) is never removed. Asked
    // before taking the repo's locks below: once held here, they would read as held by another.
    if (quant.empty())
        if (auto busy = cache::held_partial(m_store, repo))
            return fail(ErrorCode::locked, repo + " is being downloaded by another process; try again when it is done",
                        {{"repo", repo}, {"partial", *busy}});
    auto locks = cache::RepoLocks::try_acquire_all(m_store.locks_dir(repo));
    if (!locks) {
        locks.error().message = repo + " is being downloaded by another process; try again when it is done";
        locks.error().details["repo"] = repo;
        return tl::unexpected(locks.error());
    }
    if (quant.empty()) {
        auto freed = cache::delete_repo(m_config.cache_root, repo);
        if (freed) m_listings.remove(repo);
        return freed;
    }
    // The same answer as for a whole repo that is not there, whatever listing is remembered.
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(m_store.repo_dir(repo), ec)))
        return fail(ErrorCode::not_found, "model is not in the cache", {{"repo", repo}});
    auto saved = known_listing(repo);
    if (!saved) return tl::unexpected(saved.error());
    auto grouping = model::group_files(saved->listing.files);
    const auto* variant = model::find_variant(grouping, quant);
    if (variant == nullptr) return fail(ErrorCode::not_found, "no such variant", {{"repo", repo}, {"quant", quant}});
    return cache::delete_files(m_config.cache_root, repo, variant->files);
}

cache::CacheStats ModelService::stats() const { return cache::stats(m_config.cache_root); }

Result<cache::CleanReport> ModelService::clean(const cache::CleanOptions& options) const {
    return cache::clean(m_config.cache_root, options);
}

TokenStatus ModelService::token_status() const {
    auto token = hub::resolve_token(m_config);
    return token ? TokenStatus{true, token->source} : TokenStatus{};
}

Result<TokenStatus> ModelService::set_token(const std::string& token, bool validate) {
    if (token.empty() || token.size() > 4096 || token.find_first_of(" \t\r\n") != std::string::npos)
        return fail(ErrorCode::bad_request, "token must be a non-empty string without whitespace");
    if (validate) {
        hub::HubClient client(m_config, token);
        if (auto who = client.whoami(); !who) return tl::unexpected(who.error());
    }
    if (auto st = hub::store_token(m_config.data_dir, token); !st) return tl::unexpected(st.error());
    return token_status();
}

Result<TokenStatus> ModelService::clear_token() {
    if (auto st = hub::clear_token(m_config.data_dir); !st) return tl::unexpected(st.error());
    return token_status();
}

Status ModelService::validate_job(const jobs::JobSpec& spec) const {
    if (auto st = validate_repo(spec.repo); !st) return st;
    if (auto st = validate_revision(spec.revision); !st) return st;
    for (const auto& f : spec.files)
        if (auto st = validate_file_path(f); !st) return st;
    if (spec.kind == jobs::JobKind::download_files && spec.files.empty())
        return fail(ErrorCode::bad_request, "missing \"file\"");
    if (spec.kind == jobs::JobKind::download_quant && spec.quant.size() > 200)
        return fail(ErrorCode::bad_request, "quant name too long");
    return {};
}

Status ModelService::run_job(const jobs::JobSpec& spec, jobs::JobControl& control) {
    if (spec.kind == jobs::JobKind::verify) return run_verify(spec, control);
    return run_download(spec, control);
}

Status ModelService::run_verify(const jobs::JobSpec& spec, jobs::JobControl& control) {
    std::optional<std::string> repo;
    if (!spec.repo.empty() && spec.repo != "*") repo = spec.repo;
    bool totals_set = false;
    auto report = cache::verify(
        m_config.cache_root, repo, /*remove_bad=*/true,
        [&](std::uint64_t done, std::uint64_t total) {
            if (!totals_set) {
                control.set_totals(total, 0);
                totals_set = true;
            }
            control.report(done, "", 0);
        },
        control.stop_token());
    if (!report) return tl::unexpected(report.error());
    if (report->cancelled) return fail(ErrorCode::cancelled, "verify stopped");
    control.set_result(wire::to_json(*report));
    return {};
}

} // namespace tabagent::service
