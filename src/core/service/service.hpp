#pragma once
// The core's API for both edges (host and CLI): every cache, Hub and download operation the
// product offers, with validation of names before any disk or network access. Nothing here
// knows about Chrome or writes to stdout.
#include "core/cache/clean.hpp"
#include "core/cache/stats.hpp"
#include "core/cache/store.hpp"
#include "core/cache/verify.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/jobs/job_manager.hpp"
#include "core/model/variants.hpp"
#include "core/service/listing_flight.hpp"
#include "core/service/listing_store.hpp"
#include "core/service/repo_activity.hpp"
#include "core/service/model_list.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

namespace tabagent::download {
class Engine;
}
namespace tabagent::hub {
class HubClient;
class HostBudgets;
}

namespace tabagent::service {

inline constexpr std::uint64_t k_max_chunk_bytes = 700 * 1024; // keeps a get_file frame < 1 MiB

struct FileChunk {
    std::string data_base64;
    std::uint64_t offset = 0, length = 0, size = 0;
    bool eof = false;
};

// Where read_chunk_into puts a chunk: `want` bytes of room (0 < want <= k_max_chunk_bytes).
using ChunkBuffer = std::function<std::span<std::byte>(std::uint64_t want)>;

struct FilePresence {
    bool exists = false;
    std::uint64_t size = 0;
    std::filesystem::path path;      // snapshot path (what huggingface_hub hands out)
    std::filesystem::path blob_path; // resolved content
    std::string commit;
    std::string etag; // the blob's name; for a copy in a degraded cache, from trees/<commit>.json ("" if unknown)
    // Absent, and the cache knows the Hub has no such file at the revision's commit
    // (.no_exist marker, ours or huggingface_hub's): no need to ask the network.
    bool known_missing = false;
};

struct TokenStatus {
    bool has_token = false;
    std::string source; // "explicit" | "stored" | "env" | "hf_home" | ""
};

class ModelService {
public:
    explicit ModelService(Config config);
    ~ModelService();
    ModelService(const ModelService&) = delete;
    ModelService& operator=(const ModelService&) = delete;

    const Config& config() const { return m_config; }
    const cache::Store& store() const { return m_store; }

    // Hub: list files once, store the listing; returns it.
    Result<model::RepoListing> scan_repo(const std::string& repo, const std::string& revision);
    // No network: the saved listing, else huggingface_hub's trees/<commit>.json of the revision,
    // else one derived from the cache. NOT_FOUND when none.
    Result<SavedListing> known_listing(const std::string& repo, const std::string& revision = "main") const;
    // format: "native" | "extension". No network.
    Result<nlohmann::json> manifest(const std::string& repo, const std::string& format) const;
    // Cached repos with size, revisions and the variants present. No network.
    ModelList list_models() const;

    Result<FilePresence> has_file(const std::string& repo, const std::string& file,
                                  const std::string& revision = "main") const;
    // One chunk; length clamped to k_max_chunk_bytes; offset past the end -> eof with no data.
    Result<FileChunk> read_chunk(const std::string& repo, const std::string& file, std::uint64_t offset,
                                 std::uint64_t length, const std::string& revision = "main") const;
    // The same, the bytes read into the `room` handed out (get_file reads straight into its
    // reply frame); `data_base64` stays empty and `length` says how many bytes arrived.
    Result<FileChunk> read_chunk_into(const std::string& repo, const std::string& file, std::uint64_t offset,
                                      std::uint64_t length, const std::string& revision,
                                      const ChunkBuffer& room) const;
    // Whole repo (quant empty) or one variant's own files (shared blobs of other variants kept).
    // Deletes of one repo run one at a time and each sees what the previous one left: NOT_FOUND
    // "model is not in the cache" once the repo is gone, freed 0 when the variant already went.
    // LOCKED while a download job of the repo runs here (naming it) or another process holds
    // one of its blob locks.
    Result<std::uint64_t> delete_model(const std::string& repo, const std::string& quant);
    cache::CacheStats stats() const;
    Result<cache::CleanReport> clean(const cache::CleanOptions& options) const;

    Result<TokenStatus> set_token(const std::string& token, bool validate);
    TokenStatus token_status() const;
    Result<TokenStatus> clear_token();

    // Checks a job request before it is accepted (names, kind-specific fields).
    Status validate_job(const jobs::JobSpec& spec) const;
    // The jobs::Runner for every job kind.
    Status run_job(const jobs::JobSpec& spec, jobs::JobControl& control);

    // The files a download job covers in `listing`: its files, or the variant's (the recommended
    // one when the spec names none) plus the common files. NOT_FOUND for an unknown file/variant.
    Result<std::vector<model::RepoFile>> files_for(const jobs::JobSpec& spec, const model::RepoListing& listing) const;

    // Which repos this process is downloading or deleting; download runs register here.
    RepoActivity& repo_activity() { return m_repo_activity; }

    // Created on first use; INTERNAL when libcurl cannot be loaded.
    Result<download::Engine*> engine();
    void set_rate_limit(std::uint64_t bytes_per_second);

private:
    Status run_download(const jobs::JobSpec& spec, jobs::JobControl& control);
    Status run_verify(const jobs::JobSpec& spec, jobs::JobControl& control);
    std::unique_ptr<hub::HubClient> make_client(std::stop_token stop = {}, hub::WaitCallback on_wait = {}) const;
    // The listing of a job or scan, shared with the others of the same repo and revision.
    Result<model::RepoListing> shared_listing(const std::string& repo, const std::string& revision,
                                              ListingFlights::Clock::time_point fresh_after,
                                              std::stop_token stop, const hub::WaitCallback& on_wait);

    Config m_config;
    cache::Store m_store;
    ListingStore m_listings;
    RepoActivity m_repo_activity;
    std::shared_ptr<hub::HostBudgets> m_budgets; // one request budget per host, for every request
    ListingFlights m_flights;
    mutable std::mutex m_engine_mutex;
    std::unique_ptr<download::Engine> m_engine; // created on first download
};

} // namespace tabagent::service
