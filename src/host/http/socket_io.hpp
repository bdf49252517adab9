#pragma once
// Blocking-with-deadline I/O on the server's non-blocking sockets (through platform/net.hpp). Every
// wait also watches the server's Waker (raised for good once stop() begins), so that no read, write
// or file send can hold a thread after stop() was called.
#include "core/platform/net.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tabagent::host::http {

using Clock = std::chrono::steady_clock;

enum class Io {
    ok,      // done (or, for wait_ready, ready)
    timeout, // the deadline passed
    stopped, // the waker was raised
    closed,  // the peer closed (read) or the connection broke (write)
};

// Waits until `socket` reports one of `want` (platform::k_readable / k_writable), or an error /
// hang-up, which the next call surfaces.
Io wait_ready(const platform::Socket& socket, unsigned want, const platform::Waker& wake, Clock::time_point deadline);

// Receives at most `capacity` bytes once data is there. `received` is 0 only with Io::closed.
Io receive_some(const platform::Socket& socket, char* data, std::size_t capacity, std::size_t& received,
                const platform::Waker& wake, Clock::time_point deadline);

// Sends all of `data`. `more` (MSG_MORE on Linux) keeps a short head in the kernel until the body
// follows. `stall` bounds each wait for buffer space, not the whole transfer: a slow but steady
// reader of a large file is fine, a reader that stopped reading is not.
Io send_all(const platform::Socket& socket, std::string_view data, bool more, const platform::Waker& wake,
            std::chrono::milliseconds stall);

// Sends `length` bytes of `file` from `offset` with platform::send_file (sendfile(2), TransmitFile):
// the bytes go from the page cache to the socket without passing through this process where the OS
// allows. A file that turns out shorter than the range is Io::closed (the connection must be
// dropped: its Content-Length cannot be met).
Io send_file_range(const platform::Socket& socket, platform::NativeFile file, std::uint64_t offset, std::uint64_t length,
             const platform::Waker& wake, std::chrono::milliseconds stall);

} // namespace tabagent::host::http
