#include "core/service/listing_flight.hpp"

#include <spdlog/spdlog.h>

namespace tabagent::service {

Result<model::RepoListing> ListingFlights::get(const std::string& repo, const std::string& revision,
                                               Clock::time_point fresh_after, std::stop_token stop,
                                               const hub::WaitCallback& on_wait, const Fetch& fetch) {
    const Key key{repo, revision};
    while (true) {
        std::shared_ptr<Flight> flight;
        bool leader = false;
        {
            std::unique_lock lock(m_mutex);
            if (stop.stop_requested()) return fail(ErrorCode::cancelled, "stopped");
            auto& slot = m_flights[key];
            const bool usable = slot && (!slot->done || (slot->result->has_value() && slot->ended >= fresh_after));
            if (!usable) {
                slot = std::make_shared<Flight>();
                leader = true;
                ++m_fetches;
            }
            flight = slot;
        }
        auto result = leader ? lead(key, flight, stop, on_wait, fetch) : join(flight, stop, on_wait);
        // A leader stopped by its own job is no answer for the others; they list again.
        if (!leader && !result && result.error().code == ErrorCode::cancelled && !stop.stop_requested()) continue;
        return result;
    }
}

Result<model::RepoListing> ListingFlights::lead(const Key& key, const std::shared_ptr<Flight>& flight,
                                                std::stop_token stop, const hub::WaitCallback& on_wait,
                                                const Fetch& fetch) {
    {
        std::lock_guard lock(flight->observers_mutex);
        flight->observers.push_back(&on_wait);
    }
    const hub::WaitCallback tell_all = [&flight](std::optional<double> seconds) {
        std::lock_guard lock(flight->observers_mutex);
        for (const auto* observer : flight->observers)
            if (*observer) (*observer)(seconds);
    };
    auto result = fetch(tell_all, stop);
    {
        std::lock_guard lock(flight->observers_mutex);
        flight->observers.remove(&on_wait);
    }
    {
        std::lock_guard lock(m_mutex);
        flight->result = result;
        flight->ended = Clock::now();
        flight->done = true;
        // A failed listing is not kept: the next caller tries again.
        if (!result) {
            auto it = m_flights.find(key);
            if (it != m_flights.end() && it->second == flight) m_flights.erase(it);
        }
    }
    m_changed.notify_all();
    spdlog::debug("listing {}@{}: {}", key.first, key.second, result ? "done" : result.error().message);
    return result;
}

Result<model::RepoListing> ListingFlights::join(const std::shared_ptr<Flight>& flight, std::stop_token stop,
                                                const hub::WaitCallback& on_wait) {
    {
        std::lock_guard lock(flight->observers_mutex);
        flight->observers.push_back(&on_wait);
    }
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, stop, [&] { return flight->done; });
    const bool done = flight->done;
    lock.unlock();
    {
        std::lock_guard observers(flight->observers_mutex);
        flight->observers.remove(&on_wait);
    }
    if (!done) return fail(ErrorCode::cancelled, "stopped");
    return *flight->result; // written once, before done, under m_mutex
}

std::uint64_t ListingFlights::fetches() const {
    std::lock_guard lock(m_mutex);
    return m_fetches;
}

} // namespace tabagent::service
