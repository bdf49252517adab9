#include "host/http/socket_io.hpp"

#include <algorithm>

namespace tabagent::host::http {
namespace {

Io wait_for(const platform::Socket& socket, platform::IoState state, unsigned want, const platform::Waker& wake,
            Clock::time_point deadline) {
    if (state != platform::IoState::would_block) return Io::closed;
    return wait_ready(socket, want, wake, deadline);
}

} // namespace

Io wait_ready(const platform::Socket& socket, unsigned want, const platform::Waker& wake, Clock::time_point deadline) {
    while (true) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return Io::timeout;
        platform::PollItem items[2] = {{socket.native(), want, 0}, {wake.pollable(), platform::k_readable, 0}};
        auto n = platform::poll(items, left);
        if (!n) return Io::closed;
        if (*n == 0) continue; // timeout or EINTR: the deadline decides
        if (items[1].got != 0) return Io::stopped;
        if (items[0].got & platform::k_invalid) return Io::closed;
        if (items[0].got != 0) return Io::ok; // readiness, hang-up or error: the caller's call tells which
    }
}

Io receive_some(const platform::Socket& socket, char* data, std::size_t capacity, std::size_t& received,
                const platform::Waker& wake, Clock::time_point deadline) {
    received = 0;
    while (true) {
        auto r = platform::recv_some(socket, std::span<char>(data, capacity));
        if (r.state == platform::IoState::ok) {
            received = r.bytes;
            return Io::ok;
        }
        if (auto w = wait_for(socket, r.state, platform::k_readable, wake, deadline); w != Io::ok) return w;
    }
}

Io send_all(const platform::Socket& socket, std::string_view data, bool more, const platform::Waker& wake,
            std::chrono::milliseconds stall) {
    while (!data.empty()) {
        auto r = platform::send_some(socket, data, more);
        if (r.state == platform::IoState::ok) {
            data.remove_prefix(r.bytes);
            continue;
        }
        if (auto w = wait_for(socket, r.state, platform::k_writable, wake, Clock::now() + stall); w != Io::ok)
            return w;
    }
    return Io::ok;
}

Io send_file_range(const platform::Socket& socket, platform::NativeFile file, std::uint64_t offset, std::uint64_t length,
             const platform::Waker& wake, std::chrono::milliseconds stall) {
    while (length > 0) {
        auto r = platform::send_file(socket, file, offset, length, wake, stall);
        switch (r.state) {
        case platform::IoState::ok:
            offset += r.bytes;
            length -= std::min<std::uint64_t>(r.bytes, length);
            continue;
        case platform::IoState::timeout: return Io::timeout;
        case platform::IoState::stopped: return Io::stopped;
        default: break;
        }
        if (auto w = wait_for(socket, r.state, platform::k_writable, wake, Clock::now() + stall); w != Io::ok)
            return w;
    }
    return Io::ok;
}

} // namespace tabagent::host::http
