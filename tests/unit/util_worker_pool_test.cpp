#include "core/util/worker_pool.hpp"

#include "test_latch.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <set>

using tabagent::util::WorkerPool;
using namespace std::chrono_literals;

TEST_CASE("util: a worker pool starts threads on demand, up to its bound") {
    WorkerPool pool(2);
    std::mutex mutex;
    std::set<std::thread::id> threads;
    std::atomic<int> concurrent{0}, peak{0};
    tabagent::test::Latch both_running(2);
    tabagent::test::Latch release(1);
    auto blocking_task = [&] {
        {
            std::lock_guard lock(mutex);
            threads.insert(std::this_thread::get_id());
        }
        int now = ++concurrent;
        for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {}
        both_running.count_down();
        release.wait();
        --concurrent;
    };
    // Two blocking tasks: the second finds no idle thread and gets one of its own.
    pool.submit(blocking_task);
    pool.submit(blocking_task);
    both_running.wait();
    // A third waits in the queue (the bound is 2) and runs once a thread is free.
    std::atomic<bool> third_ran{false};
    pool.submit([&] { third_ran = true; });
    CHECK_FALSE(third_ran.load());
    release.count_down();
    REQUIRE(pool.drain(std::chrono::steady_clock::now() + 30s)); // a hang guard
    CHECK(third_ran.load());
    CHECK(peak.load() == 2);
    CHECK(threads.size() == 2);
}

TEST_CASE("util: an idle worker pool thread is reused rather than a new one started") {
    WorkerPool pool(4);
    std::mutex mutex;
    std::set<std::thread::id> threads;
    for (int i = 0; i < 20; ++i) {
        pool.submit([&] {
            std::lock_guard lock(mutex);
            threads.insert(std::this_thread::get_id());
        });
        REQUIRE(pool.drain(std::chrono::steady_clock::now() + 30s)); // one task at a time; 30 s: a hang guard
    }
    CHECK(threads.size() == 1);
}
