// The adaptive connection count (connection_governor.hpp), driven by a simulated server on a
// fake clock: the aggregate rate is a function of the connection count.
#include "core/download/connection_governor.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <vector>

using namespace tabagent::download;
using namespace std::chrono_literals;

namespace {

using Clock = ConnectionGovernor::Clock;

struct Sim {
    ConnectionGovernor governor;
    Clock::time_point now{};
    double received = 0;
    int highest = 0;
    std::vector<int> limits; // every change, in order

    explicit Sim(GovernorOptions options = {}) : governor(options) { limits.push_back(governor.limit()); }

    // Runs `duration` in 10 ms turns; `rate(limit)` is the aggregate in bytes/s.
    void run(std::chrono::milliseconds duration, const std::function<double(int)>& rate, bool busy = true) {
        for (auto t = 0ms; t < duration; t += 10ms) {
            now += 10ms;
            received += rate(governor.limit()) * 0.010;
            governor.tick(now, static_cast<std::uint64_t>(received), busy);
            highest = std::max(highest, governor.limit());
            if (governor.limit() != limits.back()) limits.push_back(governor.limit());
        }
    }
};

constexpr double MB = 1e6;
double capped(int connections) { return connections * 21 * MB; } // 20 MiB/s per connection
double shared_pipe(int) { return 300 * MB; }                     // the link is the limit

} // namespace

TEST_CASE("governor: a server that caps each connection gets more connections, up to the ceiling") {
    Sim sim;
    CHECK(sim.governor.limit() == 16);
    sim.run(5s, capped);
    CHECK(sim.governor.limit() == 32);
    CHECK(sim.limits == std::vector<int>{16, 24, 32});
    sim.run(60s, capped);
    CHECK(sim.highest == 32); // never past the ceiling
}

TEST_CASE("governor: a shared pipe keeps the start count; the probe is undone and retried after the hold") {
    Sim sim;
    sim.run(2s, shared_pipe);
    CHECK(sim.governor.limit() == 16);
    CHECK(sim.limits == std::vector<int>{16, 24, 16});
    sim.run(9s, shared_pipe); // within the 10 s hold: no new probe
    CHECK(sim.limits.size() == 3);
    sim.run(3s, shared_pipe);
    CHECK(sim.limits == std::vector<int>{16, 24, 16, 24, 16});
    CHECK(sim.governor.limit() == 16);
}

TEST_CASE("governor: windows where fewer connections are wanted teach nothing") {
    Sim sim;
    sim.run(30s, capped, false);
    CHECK(sim.limits == std::vector<int>{16});
}

TEST_CASE("governor: the link's limit is found between start and ceiling") {
    Sim sim;
    const auto link = [](int c) { return std::min(capped(c), 500 * MB); }; // 24 x 21 MB/s fits, 32 not
    sim.run(20s, link);
    CHECK(sim.governor.limit() == 24);
    CHECK(sim.highest == 32); // tried once ...
    CHECK(std::count(sim.limits.begin(), sim.limits.end(), 32) >= 1);
}

TEST_CASE("governor: a burst in the first window does not inflate the base a probe is judged by") {
    Sim sim;
    bool first = true;
    // The first window also catches bytes the kernel buffered before: it looks 40% faster.
    const auto bursty = [&](int c) {
        const double r = sim.now <= Clock::time_point{} + 250ms && first ? 1.4 * capped(c) : capped(c);
        return r;
    };
    sim.run(5s, bursty);
    first = false;
    CHECK(sim.governor.limit() == 32);
}

TEST_CASE("governor: 429 or 503 halves the count and holds it") {
    Sim sim;
    sim.run(5s, capped);
    REQUIRE(sim.governor.limit() == 32);
    sim.governor.overloaded(sim.now);
    CHECK(sim.governor.limit() == 16);
    sim.run(9s, capped);
    CHECK(sim.governor.limit() == 16); // held
    sim.governor.overloaded(sim.now);
    sim.governor.overloaded(sim.now);
    CHECK(sim.governor.limit() == 4);
    for (int i = 0; i < 5; ++i) sim.governor.overloaded(sim.now);
    CHECK(sim.governor.limit() == 1); // never zero
}

TEST_CASE("governor: a slow first byte during a probe ends it") {
    Sim sim;
    for (int i = 0; i < 16; ++i) sim.governor.first_byte(sim.now, 0.04);
    sim.run(260ms, capped);
    sim.run(250ms, capped); // base measured: the probe to 24 starts
    REQUIRE(sim.governor.limit() == 24);
    sim.governor.first_byte(sim.now, 2.5); // the server queues the new requests
    sim.run(1s, capped);
    CHECK(sim.governor.limit() == 16);
}

TEST_CASE("governor: the ceiling wins over the start count") {
    Sim sim({16, 8, 8, 250ms, 10s});
    CHECK(sim.governor.limit() == 8);
    sim.run(30s, capped);
    CHECK(sim.highest == 8);
}
