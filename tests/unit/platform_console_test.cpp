// platform/console.hpp: pipes, waits and the interrupt watch, the same on every side of the seam.
#include "core/platform/console.hpp"
#include "core/platform/os.hpp"
#include "core/platform/process.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>

using namespace tabagent;
using namespace std::chrono_literals;

namespace {
std::string read_exactly(int fd, std::size_t size) {
    std::string out;
    std::array<char, 256> buffer{};
    while (out.size() < size) {
        auto n = platform::read_some(fd, std::span<char>(buffer.data(), std::min(buffer.size(), size - out.size())));
        REQUIRE(n);
        if (*n == 0) break;
        out.append(buffer.data(), *n);
    }
    return out;
}
} // namespace

TEST_CASE("platform: a pipe carries every byte value unchanged, then reports its end") {
    auto pipe = platform::open_pipe();
    REQUIRE(pipe);
    CHECK_FALSE(platform::is_terminal(pipe->read_end.get()));
    CHECK_FALSE(platform::terminal_width(pipe->write_end.get()));
    CHECK_FALSE(platform::enable_vt_sequences(pipe->write_end.get()));
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i); // "\r", "\n" and ^Z among them
    REQUIRE(platform::write_all(pipe->write_end.get(), all + "\r\n"));
    CHECK(read_exactly(pipe->read_end.get(), all.size() + 2) == all + "\r\n");
    pipe->write_end.reset();
    std::array<char, 8> rest{};
    auto end = platform::read_some(pipe->read_end.get(), rest);
    REQUIRE(end);
    CHECK(*end == 0);
}

TEST_CASE("platform: grow_pipe_buffer makes room for a whole 1 MiB frame on Linux, says no elsewhere") {
    auto pipe = platform::open_pipe();
    REQUIRE(pipe);
    auto got = platform::grow_pipe_buffer(pipe->write_end.get(), std::size_t{1} << 20);
    if (platform::os_kind() == platform::Os::linux_) {
        REQUIRE(got); // the default /proc/sys/fs/pipe-max-size is 1 MiB
        CHECK(*got >= std::size_t{1} << 20);
    } else {
        CHECK_FALSE(got);
    }
}

TEST_CASE("platform: wait_readable says whether data or the end of a pipe is there") {
    auto pipe = platform::open_pipe();
    REQUIRE(pipe);
    CHECK_FALSE(platform::wait_readable(pipe->read_end.get(), 0ms));
    REQUIRE(platform::write_all(pipe->write_end.get(), "x"));
    CHECK(platform::wait_readable(pipe->read_end.get(), 10s)); // returns as soon as it is readable
    CHECK(read_exactly(pipe->read_end.get(), 1) == "x");
    CHECK_FALSE(platform::wait_readable(pipe->read_end.get(), 0ms));
    pipe->write_end.reset();
    CHECK(platform::wait_readable(pipe->read_end.get(), 10s)); // the end of the stream is readable
}

TEST_CASE("platform: a write to a pipe nobody reads fails instead of ending the process") {
    platform::ignore_broken_pipe();
    auto pipe = platform::open_pipe();
    REQUIRE(pipe);
    pipe->read_end.reset();
    CHECK_FALSE(platform::write_all(pipe->write_end.get(), "lost"));
}

TEST_CASE("platform: an interrupt watch wakes its waiter on wake() and restores the default") {
    auto watch = platform::InterruptWatch::start();
    REQUIRE(watch);
    bool interrupted = true;
    std::thread waiter([&] { interrupted = (*watch)->wait(); });
    (*watch)->wake();
    waiter.join();
    CHECK_FALSE(interrupted);
    (*watch)->restore_default();
    watch->reset();
    // A second watch can be started once the first is gone.
    auto again = platform::InterruptWatch::start();
    CHECK(again);
}
