// Concurrent jobs of one repo and revision share one listing (issue 13 item 4: seven
// download_file jobs sent together used to list the repo seven times).
#include "core/service/listing_flight.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace tabagent;
using service::ListingFlights;

namespace {

// A fetch the test lets finish when it wants, telling a wait first.
struct Gate {
    std::mutex mutex;
    std::condition_variable_any cv; // one for all waits, the stoppable one included
    bool open = false;
    int entered = 0;

    ListingFlights::Fetch fetch(std::string commit) {
        return [this, commit](const hub::WaitCallback& on_wait, std::stop_token stop) -> Result<model::RepoListing> {
            std::unique_lock lock(mutex);
            ++entered;
            cv.notify_all();
            lock.unlock();
            on_wait(42.0);
            lock.lock();
            if (!cv.wait(lock, stop, [&] { return open; })) return fail(ErrorCode::cancelled, "stopped");
            model::RepoListing listing;
            listing.repo = "org/model";
            listing.commit = commit;
            return listing;
        };
    }
    void wait_entered(int n) {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return entered >= n; });
    }
    void release() {
        std::lock_guard lock(mutex);
        open = true;
        cv.notify_all();
    }
};

} // namespace

TEST_CASE("service: jobs of one repo and revision asked for together share one listing") {
    ListingFlights flights;
    Gate gate;
    const auto asked = ListingFlights::Clock::now();
    std::atomic<int> told{0};
    const hub::WaitCallback on_wait = [&](std::optional<double> s) {
        if (s && *s == 42.0) ++told;
    };
    std::vector<std::string> commits(7);
    std::vector<std::jthread> jobs;
    jobs.emplace_back([&] { commits[0] = flights.get("org/model", "main", asked, {}, on_wait, gate.fetch("c1"))->commit; });
    gate.wait_entered(1);
    for (int i = 1; i < 7; ++i)
        jobs.emplace_back([&, i] {
            auto listing = flights.get("org/model", "main", asked, {}, on_wait, gate.fetch("other"));
            commits[static_cast<std::size_t>(i)] = listing ? listing->commit : listing.error().message;
        });
    // Joiners that arrive while the leader waits hear nothing until the next tell; the leader
    // heard its own wait.
    gate.release();
    jobs.clear();
    for (const auto& c : commits) CHECK(c == "c1");
    CHECK(flights.fetches() == 1);
    CHECK(told >= 1);

    SUBCASE("a job asked for after the listing ended lists again; one asked for before reuses it") {
        Gate second;
        second.release();
        auto reused = flights.get("org/model", "main", asked, {}, {}, second.fetch("c2"));
        CHECK(reused->commit == "c1");
        auto fresh = flights.get("org/model", "main", ListingFlights::Clock::now(), {}, {}, second.fetch("c2"));
        CHECK(fresh->commit == "c2");
        CHECK(flights.fetches() == 2);
        // Another revision is another listing.
        auto other = flights.get("org/model", "v1", asked, {}, {}, second.fetch("c3"));
        CHECK(other->commit == "c3");
    }
}

TEST_CASE("service: a joined listing whose leader is cancelled is listed again by a joiner") {
    ListingFlights flights;
    Gate gate;
    std::stop_source leader_stop;
    const auto asked = ListingFlights::Clock::now();
    std::optional<Result<model::RepoListing>> leader, joiner;
    std::jthread a([&] { leader = flights.get("org/model", "main", asked, leader_stop.get_token(), {}, gate.fetch("c1")); });
    gate.wait_entered(1);
    std::jthread b([&] { joiner = flights.get("org/model", "main", asked, {}, {}, gate.fetch("c9")); });
    leader_stop.request_stop();
    a.join();
    REQUIRE(leader);
    CHECK(leader->error().code == ErrorCode::cancelled);
    gate.wait_entered(2); // the joiner became the leader of a new listing
    gate.release();
    b.join();
    REQUIRE(joiner);
    REQUIRE(*joiner);
    CHECK((*joiner)->commit == "c9");
    CHECK(flights.fetches() == 2);
}

TEST_CASE("service: a joiner that stops returns CANCELLED and the listing goes on") {
    ListingFlights flights;
    Gate gate;
    const auto asked = ListingFlights::Clock::now();
    std::optional<Result<model::RepoListing>> leader;
    std::jthread a([&] { leader = flights.get("org/model", "main", asked, {}, {}, gate.fetch("c1")); });
    gate.wait_entered(1);
    std::stop_source stop;
    stop.request_stop();
    auto joined = flights.get("org/model", "main", asked, stop.get_token(), {}, gate.fetch("x"));
    REQUIRE_FALSE(joined);
    CHECK(joined.error().code == ErrorCode::cancelled);
    gate.release();
    a.join();
    CHECK((*leader)->commit == "c1");
}
