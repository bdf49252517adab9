#pragma once
// The engine on the fake transport (fake_curl.hpp) and a fake clock, shared by the fake-transport
// download tests: the loop runs turn by turn with the test.
#include "core/download/engine.hpp"
#include "download_test_util.hpp"
#include "fake_curl.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace download_test {
using namespace std::chrono_literals;

// One engine on the fake transport. turn(d): the fake clock moves by d, then the engine's loop
// runs exactly one turn.
struct Rig {
    test::FakeClock clock;
    test::FakeCurl curl{clock};
    TempDir dir;
    std::unique_ptr<download::Engine> engine;

    explicit Rig(download::EngineOptions options = quick_options()) {
        options.clock = clock.function();
        options.random_seed = 42;
        options.hash_thread = false; // one turn is one turn: no worker waking the loop
        engine = std::make_unique<download::Engine>(options, curl.api());
        curl.wait_parked();
    }
    ~Rig() {
        curl.free_run();
        engine.reset();
    }
    Rig(const Rig&) = delete;
    Rig& operator=(const Rig&) = delete;

    static std::string url(const std::string& name) { return "https://hub.test/files/" + name; }
    void serve(const std::string& name, test::FakeFile file) { curl.add_file(url(name), std::move(file)); }
    void turn(std::chrono::milliseconds advance) {
        clock.advance(advance);
        curl.turn();
    }
    // Turns of `step` until `done()` holds (checked after each turn); false after `limit` turns.
    template <class Done> bool run_until(Done&& done, std::chrono::milliseconds step = 10ms, int limit = 20'000) {
        for (int i = 0; i < limit; ++i) {
            turn(step);
            if (done()) return true;
        }
        return false;
    }
};

inline test::FakeFile fake_file(std::string content) {
    test::FakeFile file;
    file.content = std::move(content);
    return file;
}

// Answers `status` to the next `times` requests, then serves `content`.
inline test::FakeFile failing(std::string content, int status, int times) {
    auto file = fake_file(std::move(content));
    file.fail_status = status;
    file.fail_times = times;
    return file;
}

inline std::string bytes_range(std::uint64_t begin, std::uint64_t end) {
    return "bytes=" + std::to_string(begin) + "-" + std::to_string(end - 1);
}

} // namespace download_test

