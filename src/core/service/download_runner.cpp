// The download job: resolve the listing, skip what is present, fetch the rest through the engine
// (several files at once), publish each verified blob, then write the ref.
#include "core/service/service.hpp"

#include "core/cache/lock.hpp"
#include "core/download/engine.hpp"
#include "core/hub/client.hpp"
#include "core/model/recommend.hpp"
#include "core/names.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <thread>

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
// One file in flight.
struct Transfer {
    model::RepoFile file;
    cache::BlobLock lock;
    download::TransferId id = 0;
    std::uint64_t done = 0;
    std::jthread publisher; // set once the bytes are verified
};

// Presence of exactly this version (etag) of a file in the snapshot, or a blob to link.
bool already_present(const cache::Store& store, const std::string& repo, const std::string& commit,
                     const model::RepoFile& f) {
    if (auto found = store.find_file(repo, f.path, commit))
        if (found->etag == f.etag || found->etag.empty()) return true;
    if (store.has_blob(repo, f.etag, f.size)) return static_cast<bool>(store.link_existing_blob(repo, commit, f));
    return false;
}
} // namespace

Status ModelService::run_download(const jobs::JobSpec& spec, jobs::JobControl& control) {
    const auto downloading = m_repo_activity.begin_download(spec.repo, control.job_id()); // deletes answer LOCKED
    auto stop = control.stop_token();
    // Offline: succeed only from what the cache already holds.
    if (m_config.offline) {
        auto known = known_listing(spec.repo, spec.revision);
        if (known) {
            auto files = files_for(spec, known->listing);
            if (files && std::all_of(files->begin(), files->end(), [&](const model::RepoFile& f) {
                    return m_store.find_file(spec.repo, f.path, spec.revision).has_value();
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

    auto client = make_client();
    auto listing = client->list_repo(spec.repo, spec.revision);
    if (!listing) return tl::unexpected(listing.error());
    if (auto st = m_listings.save(*listing); !st) spdlog::warn("{}", st.error().message);
    auto files = files_for(spec, *listing);
    if (!files) return tl::unexpected(files.error());
    const std::string& commit = listing->commit;

    std::uint64_t total = 0, present_bytes = 0;
    int files_done = 0;
    std::vector<model::RepoFile> todo;
    for (const auto& f : *files) {
        total += f.size;
        if (already_present(m_store, spec.repo, commit, f)) {
            present_bytes += f.size;
            ++files_done;
        } else {
            todo.push_back(f);
        }
    }
    const int files_total = static_cast<int>(files->size());
    control.set_totals(total, files_total);
    control.report(present_bytes, "", files_done);
    auto write_ref = [&]() -> Status {
        if (!is_commit_hash(spec.revision)) return m_store.write_ref(spec.repo, spec.revision, commit);
        return {};
    };
    if (todo.empty()) {
        control.set_cached(true);
        return write_ref();
    }

    std::error_code ec;
    std::filesystem::create_directories(m_store.blobs_dir(spec.repo), ec);
    auto engine_ptr = engine();
    if (!engine_ptr) return tl::unexpected(engine_ptr.error());
    download::Engine& eng = **engine_ptr;
    auto headers = client->auth_headers();

    std::mutex mutex;
    std::condition_variable_any cv;
    std::map<std::size_t, Transfer> running;               // by index in todo
    std::deque<std::pair<std::size_t, Status>> finished;   // completions to handle on this thread
    // Verified files being published (fsync + renames) on their own threads: the fsyncs of many
    // small files then share the filesystem's journal commits instead of queuing one by one.
    std::map<std::size_t, Transfer> publishing;
    std::deque<std::pair<std::size_t, Status>> published;
    std::uint64_t finished_bytes = present_bytes;
    std::optional<Error> first_error;
    bool cancelling = false;
    const std::size_t max_in_flight = static_cast<std::size_t>(std::max(4, m_config.max_connections_per_host * 2));

    auto publish_active_locked = [&] {
        std::vector<jobs::FileProgress> active;
        active.reserve(running.size());
        for (const auto& [i, t] : running)
            if (t.id) active.push_back({t.file.path, t.done, t.file.size});
        std::sort(active.begin(), active.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
        control.set_active_files(std::move(active));
    };
    auto loaded_locked = [&] {
        std::uint64_t sum = finished_bytes;
        for (const auto& [i, t] : running) sum += t.done;
        for (const auto& [i, t] : publishing) sum += t.file.size;
        return sum;
    };
    auto cancel_all_locked = [&] {
        if (cancelling) return;
        cancelling = true;
        for (auto& [i, t] : running)
            if (t.id) eng.cancel(t.id);
    };

    std::size_t next = 0;
    std::unique_lock lock(mutex);
    while (true) {
        // Start what fits.
        while (!cancelling && next < todo.size() && running.size() + publishing.size() < max_in_flight &&
               !stop.stop_requested()) {
            std::size_t index = next++;
            const auto& f = todo[index];
            lock.unlock();
            cache::LockOptions lock_options;
            lock_options.timeout = std::chrono::minutes(10);
            lock_options.proceed_on_timeout = true; // integrity never depends on the lock
            auto blob_lock = cache::BlobLock::acquire(m_store.lock_path(spec.repo, f.etag), lock_options, stop, [&] {
                control.waiting("waiting for another process downloading " + f.path);
            });
            lock.lock();
            if (!blob_lock) {
                if (blob_lock.error().code != ErrorCode::cancelled && !first_error) first_error = blob_lock.error();
                cancel_all_locked();
                break;
            }
            if (m_store.has_blob(spec.repo, f.etag, f.size)) { // another process finished it meanwhile
                if (auto linked = m_store.link_existing_blob(spec.repo, commit, f); linked) {
                    finished_bytes += f.size;
                    ++files_done;
                    control.report(loaded_locked(), f.path, files_done);
                    continue;
                }
            }
            Transfer& t = running[index];
            t.file = f;
            t.lock = std::move(*blob_lock);
            download::FileRequest request{client->resolve_url(spec.repo, commit, f.path), headers,
                                          m_store.partial_path(spec.repo, f.etag), f.size, f.etag};
            auto id = eng.start(
                std::move(request),
                [&, index](const download::Progress& p) {
                    std::lock_guard guard(mutex);
                    auto it = running.find(index);
                    if (it == running.end()) return;
                    it->second.done = p.bytes_done;
                    publish_active_locked();
                    control.report(loaded_locked(), it->second.file.path, files_done, p.bytes_done, p.bytes_total);
                },
                [&, index](Status st) {
                    std::lock_guard guard(mutex);
                    finished.emplace_back(index, std::move(st));
                    cv.notify_all();
                });
            if (!id) {
                running.erase(index);
                if (!first_error) first_error = id.error();
                cancel_all_locked();
                break;
            }
            t.id = *id;
        }
        if (running.empty() && publishing.empty() && (next >= todo.size() || cancelling || stop.stop_requested()))
            break;
        if (stop.stop_requested()) cancel_all_locked();
        // Once cancelling, wait for every transfer's completion (the engine answers within ms)
        // and every publisher (a publish is short and never abandoned half-way).
        auto have_news = [&] { return !finished.empty() || !published.empty(); };
        if (cancelling || running.empty()) cv.wait(lock, have_news);
        else cv.wait(lock, stop, have_news);
        if (stop.stop_requested()) cancel_all_locked();
        while (!published.empty()) {
            auto [index, placed] = std::move(published.front());
            published.pop_front();
            auto node = publishing.extract(index);
            if (node.empty()) continue;
            Transfer& t = node.mapped();
            lock.unlock();
            t.publisher.join(); // it has queued its result: returns at once
            lock.lock();
            if (!placed) {
                if (!first_error) first_error = placed.error();
                cancel_all_locked();
            } else {
                finished_bytes += t.file.size;
                ++files_done;
                publish_active_locked();
                control.report(loaded_locked(), t.file.path, files_done, t.file.size, t.file.size);
            }
            t.lock.release();
        }
        while (!finished.empty()) {
            // Plain variables, not a structured binding: clang 14 cannot capture those in a lambda.
            const std::size_t index = finished.front().first;
            Status st = std::move(finished.front().second);
            finished.pop_front();
            auto node = running.extract(index);
            if (node.empty()) continue;
            Transfer& t = node.mapped();
            if (st) {
                auto& moved = publishing[index] = std::move(t);
                moved.publisher = std::jthread([&, index, file = moved.file] {
                    auto placed = m_store.publish(spec.repo, commit, file, m_store.partial_path(spec.repo, file.etag));
                    std::lock_guard guard(mutex);
                    published.emplace_back(index, placed ? Status{} : Status(tl::unexpected(placed.error())));
                    cv.notify_all();
                });
                continue; // the lock is released once published
            } else if (st.error().code != ErrorCode::cancelled || !cancelling) {
                if (!first_error) first_error = st.error();
                cancel_all_locked();
            }
            t.lock.release();
        }
        if (stop.stop_requested() && running.empty() && publishing.empty()) break;
    }
    lock.unlock();
    if (first_error) return tl::unexpected(*first_error);
    if (stop.stop_requested()) return fail(ErrorCode::cancelled, "stopped");
    return write_ref();
}

} // namespace tabagent::service
