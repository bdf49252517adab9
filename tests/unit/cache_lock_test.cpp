#include "cache_test_util.hpp"

#include "core/cache/lock.hpp"

#include <doctest/doctest.h>

#include <future>
#include <thread>

// Another process holding the lock: fork, and flock as filelock's UnixFileLock takes it.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST_CASE("cache: a lock held by another process blocks, and dies with it") {
    TempDir tmp;
    const auto path = tmp.path() / "x.lock";
    // A child process takes the lock and waits for our signal on a pipe.
    int to_child[2];
    int from_child[2];
    REQUIRE(::pipe(to_child) == 0);
    REQUIRE(::pipe(from_child) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(to_child[1]);
        ::close(from_child[0]);
        // Only async-signal-safe calls after fork().
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
        char ok = (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) ? 'y' : 'n';
        (void)!::write(from_child[1], &ok, 1);
        char c;
        (void)!::read(to_child[0], &c, 1);
        ::_exit(0); // the kernel drops the flock with the process
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    char ok = 0;
    REQUIRE(::read(from_child[0], &ok, 1) == 1);
    REQUIRE(ok == 'y');
    auto blocked = cache::BlobLock::try_acquire(path);
    REQUIRE(blocked);
    CHECK_FALSE(blocked->held());
    ::close(to_child[1]); // child reads EOF and exits
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ::close(from_child[0]);
    cache::LockOptions opts;
    opts.timeout = 30s; // free at once (the child is gone): a guard, not a bound
    auto got = cache::BlobLock::acquire(path, opts);
    REQUIRE(got);
    CHECK(got->held());
    CHECK_FALSE(got->waited());
}
