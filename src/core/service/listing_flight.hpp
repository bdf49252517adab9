#pragma once
// One listing of a repo at a revision for every job that needs it at about the same time
// (single-flight). Seven download_file jobs sent together (transformers.js asks the file server
// for files one by one) used to list the repo seven times and spend the Hub's request budget on
// it; now the first lists and the others join it, and a job that starts after it finished reuses
// the result when that listing ended after the job was asked for (so no job ever gets a listing
// older than its own request; a later request lists again).
//
// Waits the listing meets (Retry-After, the host's budget) are told to every job waiting on it.
// A listing whose leader was cancelled is not the others' answer: one of them lists again.
#include "core/error.hpp"
#include "core/hub/client.hpp"
#include "core/model/repo_file.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

namespace tabagent::service {

class ListingFlights {
public:
    using Clock = std::chrono::steady_clock;
    // Lists the repo; told waits go to `on_wait`, and `stop` (the leader's) ends them.
    using Fetch = std::function<Result<model::RepoListing>(const hub::WaitCallback& on_wait, std::stop_token stop)>;

    // A listing of (repo, revision) that ended at or after `fresh_after`: a finished one, the one
    // in flight (joined), or a new one `fetch` makes on this thread. `on_wait` hears the waits of
    // whichever listing this call waits for; `stop` ends the call with CANCELLED (a joined
    // listing goes on for the others).
    Result<model::RepoListing> get(const std::string& repo, const std::string& revision,
                                   Clock::time_point fresh_after, std::stop_token stop,
                                   const hub::WaitCallback& on_wait, const Fetch& fetch);

    // Listings made so far by `fetch` (for tests and logs).
    std::uint64_t fetches() const;

private:
    struct Flight {
        bool done = false;
        std::optional<Result<model::RepoListing>> result;
        Clock::time_point ended{};
        std::mutex observers_mutex; // held while telling the observers: they unregister under it
        std::list<const hub::WaitCallback*> observers;
    };
    using Key = std::pair<std::string, std::string>;

    Result<model::RepoListing> lead(const Key& key, const std::shared_ptr<Flight>& flight, std::stop_token stop,
                                    const hub::WaitCallback& on_wait, const Fetch& fetch);
    Result<model::RepoListing> join(const std::shared_ptr<Flight>& flight, std::stop_token stop,
                                    const hub::WaitCallback& on_wait);

    mutable std::mutex m_mutex;
    std::condition_variable_any m_changed;
    std::map<Key, std::shared_ptr<Flight>> m_flights; // the newest listing per key, running or ended
    std::uint64_t m_fetches = 0;
};

} // namespace tabagent::service
