// The download job's glue: the listing from the Hub (or the cache when offline), the files of the
// spec, then DownloadJob (download_job.hpp) fetches what is missing; the ref is written last.
#include "core/service/service.hpp"

#include "core/cache/hub_metadata.hpp"
#include "core/download/engine.hpp"
#include "core/hub/client.hpp"
#include "core/model/recommend.hpp"
#include "core/names.hpp"
#include "core/service/download_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tabagent::service {

Result<std::vector<model::RepoFile>> ModelService::files_for(const jobs::JobSpec& spec,
                                                             const model::RepoListing& listing) const {
    std::vector<model::RepoFile> out;
    if (spec.kind == jobs::JobKind::download_files) {
        for (const auto& path : spec.files) {
            auto it = std::find_if(listing.files.begin(), listing.files.end(),
                                   [&](const model::RepoFile& f) { return f.path == path; });
            if (it == listing.files.end())
                return fail(ErrorCode::not_found, "file not in the repo", {{"repo", spec.repo}, {"file", path}});
            out.push_back(*it);
        }
        return out;
    }
    auto grouping = model::group_files(listing.files);
    std::string quant = spec.quant;
    if (quant.empty()) {
        auto best = model::recommend(grouping);
        if (!best) return fail(ErrorCode::not_found, "the repo has no downloadable variant", {{"repo", spec.repo}});
        quant = *best;
    }
    const auto* variant = model::find_variant(grouping, quant);
    if (variant == nullptr) {
        nlohmann::json names = nlohmann::json::array();
        for (const auto& v : grouping.variants) names.push_back(v.name);
        return fail(ErrorCode::not_found, "no variant \"" + quant + "\" in " + spec.repo,
                    {{"repo", spec.repo}, {"quant", quant}, {"available", names}});
    }
    for (const auto& path : model::files_for_variant(grouping, variant->name))
        for (const auto& f : listing.files)
            if (f.path == path) out.push_back(f);
    return out;
}

namespace {
// What huggingface_hub 1.x keeps beside a download, written the same way (cache/hub_metadata.hpp):
// the tag at the root and the commit's listing. Best effort: a failure costs other tools a HEAD.
void record_listing(const cache::Store& store, const model::RepoListing& listing) {
    if (auto st = cache::ensure_cachedir_tag(store.root()); !st) spdlog::warn("{}", st.error().message);
    if (auto st = cache::write_tree_cache(store, listing); !st) spdlog::warn("{}", st.error().message);
}

// A file asked for that the commit does not have: the marker huggingface_hub writes on a 404
// (with the ref, as `_get_metadata_or_catch_error` does), so the next ask needs no network.
// Only for a repo the cache already holds something of (transformers.js fetched config.json first):
// a typo on an uncached repo must not make it show up in `list`.
void record_missing(const cache::Store& store, const jobs::JobSpec& spec, const model::RepoListing& listing,
                    const Error& error) {
    if (spec.kind != jobs::JobKind::download_files || error.code != ErrorCode::not_found) return;
    if (!cache::repo_folder_exists(store, spec.repo)) return;
    const auto file = error.details.find("file");
    if (file == error.details.end() || !file->is_string()) return;
    if (auto st = cache::write_no_exist(store, spec.repo, listing.commit, file->get<std::string>()); !st)
        return spdlog::warn("{}", st.error().message);
    if (!is_commit_hash(spec.revision))
        if (auto st = store.write_ref(spec.repo, spec.revision, listing.commit); !st)
            spdlog::warn("{}", st.error().message);
}

// Offline: succeed only from what the cache already holds.
Status serve_from_cache(const ModelService& service, const jobs::JobSpec& spec, jobs::JobControl& control) {
    auto known = service.known_listing(spec.repo, spec.revision);
    if (known) {
        auto files = service.files_for(spec, known->listing);
        if (files && std::all_of(files->begin(), files->end(), [&](const model::RepoFile& f) {
                return service.store().find_file(spec.repo, f.path, spec.revision).has_value();
            })) {
            std::uint64_t total = 0;
            for (const auto& f : *files) total += f.size;
            control.set_totals(total, static_cast<int>(files->size()));
            control.set_cached(true);
            return {};
        }
    }
    return fail(ErrorCode::offline, "offline (HF_HUB_OFFLINE) and the files are not all in the cache",
                {{"repo", spec.repo}});
}
} // namespace

Status ModelService::run_download(const jobs::JobSpec& spec, jobs::JobControl& control) {
    const auto downloading = m_repo_activity.begin_download(spec.repo, control.job_id()); // deletes answer LOCKED
    if (m_config.offline) return serve_from_cache(*this, spec, control);
    const hub::WaitCallback on_wait = [&control](std::optional<double> seconds) { control.hub_wait(seconds); };
    // Jobs of one repo and revision asked for together share one listing (ListingFlights).
    auto asked = control.submitted_at();
    if (asked == ListingFlights::Clock::time_point{}) asked = ListingFlights::Clock::now();
    auto listing = shared_listing(spec.repo, spec.revision, asked, control.stop_token(), on_wait);
    if (!listing) return tl::unexpected(listing.error());
    auto client = make_client();
    auto files = files_for(spec, *listing);
    if (!files) {
        record_missing(m_store, spec, *listing, files.error());
        return tl::unexpected(files.error());
    }
    record_listing(m_store, *listing); // the repo folder is about to exist (or does): no phantom repo
    const std::string commit = listing->commit;

    DownloadPlan plan{spec.repo, commit, std::move(*files), client->auth_headers(),
                      [&](const model::RepoFile& f) { return client->resolve_url(spec.repo, commit, f.path); }};
    DownloadOptions options;
    options.max_in_flight = static_cast<std::size_t>(std::max(4, m_config.max_connections_per_host * 2));
    DownloadJob job(m_store, control, std::move(plan), options);
    if (job.plan() == 0) {
        control.set_cached(true);
    } else {
        std::error_code ec;
        std::filesystem::create_directories(m_store.blobs_dir(spec.repo), ec);
        auto engine_ptr = engine();
        if (!engine_ptr) return tl::unexpected(engine_ptr.error());
        if (auto fetched = job.fetch(**engine_ptr); !fetched) return fetched;
    }
    if (!is_commit_hash(spec.revision)) return m_store.write_ref(spec.repo, spec.revision, commit);
    return {};
}

} // namespace tabagent::service
