#pragma once
// Blocking-with-deadline I/O on the server's non-blocking sockets. Every wait also watches the
// server's wake descriptor (an eventfd that stop() makes readable for good), so that no read,
// write or sendfile can hold a thread after stop() was called.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tabagent::host::http {

using Clock = std::chrono::steady_clock;

enum class Io {
    ok,      // done (or, for wait_ready, ready)
    timeout, // the deadline passed
    stopped, // the wake descriptor fired
    closed,  // the peer closed (read) or the connection broke (write)
};

// Waits until `fd` reports one of `events` (or an error / hang-up, which the next call surfaces).
Io wait_ready(int fd, short events, int wake_fd, Clock::time_point deadline);

// Receives at most `capacity` bytes once data is there. `received` is 0 only with Io::closed.
Io receive_some(int fd, char* data, std::size_t capacity, std::size_t& received, int wake_fd, Clock::time_point deadline);

// Sends all of `data`. `more` (MSG_MORE) keeps a short head in the kernel until the body follows.
// `stall` bounds each wait for buffer space, not the whole transfer: a slow but steady reader of a
// large file is fine, a reader that stopped reading is not.
Io send_all(int fd, std::string_view data, bool more, int wake_fd, std::chrono::milliseconds stall);

// Sends `length` bytes of `file` from `offset` with sendfile(2): the bytes go from the page cache
// to the socket without passing through this process. A file that turns out shorter than the
// range is Io::closed (the connection must be dropped: its Content-Length cannot be met).
Io send_file(int fd, int file, std::uint64_t offset, std::uint64_t length, int wake_fd, std::chrono::milliseconds stall);

} // namespace tabagent::host::http
