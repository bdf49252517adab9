#include "cache_test_util.hpp"

#include "child_process.hpp"
#include "core/cache/lock.hpp"
#include "core/platform/fs.hpp"
#include "core/platform/os.hpp"
#include "core/platform/spawn.hpp"

#include <doctest/doctest.h>

#include <future>
#include <iostream>
#include <string>
#include <thread>

using namespace cache_test;
using namespace tabagent;
using namespace std::chrono_literals;

TEST_CASE("cache: a blob lock excludes a second holder until released") {
    TempDir tmp;
    auto path = tmp.path() / ".locks" / "models--o--n" / "e.lock";
    auto first = cache::BlobLock::try_acquire(path);
    REQUIRE(first);
    REQUIRE(first->held());
    CHECK(fs::exists(path)); // lock folder and file are created on demand

    auto second = util::FileLock::try_lock(path);
    REQUIRE(second);
    CHECK_FALSE(static_cast<bool>(*second));
    auto third = cache::BlobLock::try_acquire(path);
    REQUIRE(third);
    CHECK_FALSE(third->held());

    first->release();
    auto fourth = cache::BlobLock::try_acquire(path);
    REQUIRE(fourth);
    CHECK(fourth->held());
}

TEST_CASE("cache: acquire waits, reports waiting, and times out with LOCKED") {
    TempDir tmp;
    auto path = tmp.path() / ".locks" / "models--o--n" / "e.lock";
    auto holder = cache::BlobLock::try_acquire(path);
    REQUIRE(holder);
    REQUIRE(holder->held());

    SUBCASE("timeout -> LOCKED, waiting reported once") {
        int waiting_calls = 0;
        cache::LockOptions opts;
        opts.timeout = 150ms;
        auto started = std::chrono::steady_clock::now();
        auto got = cache::BlobLock::acquire(path, opts, {}, [&] { ++waiting_calls; });
        auto elapsed = std::chrono::steady_clock::now() - started;
        REQUIRE_FALSE(got);
        CHECK(got.error().code == ErrorCode::locked);
        CHECK(waiting_calls == 1);
        CHECK(elapsed >= 150ms);
    }
    SUBCASE("proceed_on_timeout returns an unheld lock instead of an error") {
        cache::LockOptions opts;
        opts.timeout = 60ms;
        opts.proceed_on_timeout = true;
        auto got = cache::BlobLock::acquire(path, opts);
        REQUIRE(got);
        CHECK_FALSE(got->held());
        CHECK(got->waited());
    }
    SUBCASE("the waiter gets the lock once the holder releases it") {
        std::promise<void> waiting;
        auto waiting_seen = waiting.get_future();
        cache::LockOptions opts;
        opts.timeout = 30s;
        std::promise<Result<cache::BlobLock>> result;
        auto result_future = result.get_future();
        std::jthread waiter([&] {
            result.set_value(cache::BlobLock::acquire(path, opts, {}, [&] { waiting.set_value(); }));
        });
        // Hang guards: the waiter polls every 200 ms at most and its own timeout is 30 s.
        REQUIRE(waiting_seen.wait_for(30s) == std::future_status::ready); // it is blocked on us
        holder->release();
        REQUIRE(result_future.wait_for(60s) == std::future_status::ready);
        auto got = result_future.get();
        REQUIRE(got);
        CHECK(got->held());
        CHECK(got->waited());
    }
    SUBCASE("a stop request ends the wait with CANCELLED at once") {
        std::promise<void> waiting;
        auto waiting_seen = waiting.get_future();
        std::stop_source stop;
        cache::LockOptions opts;
        // One backoff step (10 min) is far longer than the 60 s this test waits: the wait can only
        // end "at once" if the stop request interrupts the step.
        opts.timeout = std::chrono::hours(1);
        opts.first_wait = std::chrono::minutes(10);
        opts.max_wait = std::chrono::minutes(10);
        std::promise<Result<cache::BlobLock>> result;
        auto result_future = result.get_future();
        std::jthread waiter([&] {
            result.set_value(cache::BlobLock::acquire(path, opts, stop.get_token(), [&] { waiting.set_value(); }));
        });
        REQUIRE(waiting_seen.wait_for(30s) == std::future_status::ready);
        stop.request_stop();
        REQUIRE(result_future.wait_for(60s) == std::future_status::ready);
        auto got = result_future.get();
        REQUIRE_FALSE(got);
        CHECK(got.error().code == ErrorCode::cancelled);
    }
}

// Another process holding the lock: unit_tests itself started as a child (child_process.hpp), which
// takes the lock through platform::FileLock as filelock takes it (flock on POSIX, LockFileEx of
// byte 0 on Windows) and holds it until its stdin closes.
int tabagent::test::child_hold_lock() {
    std::string line;
    if (!std::getline(std::cin, line)) return 2;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto lock = util::FileLock::try_lock(platform::u8path(line));
    std::cout << (lock && *lock ? 'y' : 'n') << std::endl;
    while (std::cin.get() != std::char_traits<char>::eof()) {
    }
    return 0; // the OS drops the lock with the process
}

TEST_CASE("cache: a lock held by another process blocks, and dies with it") {
    TempDir tmp;
    const auto path = tmp.path() / "x.lock";
    auto self = platform::current_executable();
    REQUIRE(self);
    platform::SpawnRequest request;
    request.program = *self;
    request.args = {std::string(test::k_child_flag), "hold-lock"};
    request.input = platform::u8string(path) + "\n";
    request.timeout = 60s; // a hang guard: the child answers at once and exits when stdin closes
    // Asked while the child holds the lock: run_exchange keeps it alive until `complete` says yes.
    std::optional<Result<cache::BlobLock>> blocked;
    char answer = 0;
    request.complete = [&](std::string_view out) {
        if (out.empty()) return false;
        answer = out.front();
        if (answer == 'y') blocked = cache::BlobLock::try_acquire(path);
        return true;
    };
    auto outcome = platform::run_exchange(request);
    REQUIRE(outcome);
    CHECK_FALSE(outcome->timed_out);
    REQUIRE(answer == 'y');
    REQUIRE(blocked);
    REQUIRE(*blocked);
    CHECK_FALSE((*blocked)->held());
    // run_exchange returned: the child has exited, and its lock with it.
    cache::LockOptions opts;
    opts.timeout = 30s; // free at once (the child is gone): a guard, not a bound
    auto got = cache::BlobLock::acquire(path, opts);
    REQUIRE(got);
    CHECK(got->held());
    CHECK_FALSE(got->waited());
}
