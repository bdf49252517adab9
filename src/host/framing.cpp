#include "host/framing.hpp"

#include "core/platform/console.hpp"

#include <algorithm>
#include <cstring>

namespace tabagent::host {

std::string encode_frame(std::string_view body) {
    auto len = static_cast<std::uint32_t>(body.size());
    std::string out(sizeof len + body.size(), '\0');
    std::memcpy(out.data(), &len, sizeof len); // native byte order, as Chrome expects
    std::memcpy(out.data() + sizeof len, body.data(), body.size());
    return out;
}

long FrameReader::read_fully(char* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        auto n = platform::read_some(m_fd, std::span<char>(out + got, size - got));
        if (!n) return -1;
        if (*n == 0) break;
        got += *n;
    }
    return static_cast<long>(got);
}

ReadResult FrameReader::next() {
    ReadResult result;
    char header[4];
    long n = read_fully(header, sizeof header);
    if (n < 0) {
        result.kind = ReadResult::Kind::io_error;
        return result;
    }
    if (n == 0) return result; // eof
    if (n < 4) {
        result.kind = ReadResult::Kind::truncated;
        return result;
    }
    std::uint32_t len = 0;
    std::memcpy(&len, header, sizeof len);
    result.declared = len;
    if (len > m_max) {
        result.kind = ReadResult::Kind::too_large;
        return result;
    }
    // Grow the buffer with what arrives, so a lying length costs nothing.
    constexpr std::size_t k_step = 1 << 20;
    std::size_t got = 0;
    while (got < len) {
        std::size_t want = std::min<std::size_t>(k_step, len - got);
        result.body.resize(got + want);
        long r = read_fully(result.body.data() + got, want);
        if (r < 0) {
            result.kind = ReadResult::Kind::io_error;
            return result;
        }
        got += static_cast<std::size_t>(r);
        if (static_cast<std::size_t>(r) < want) {
            result.body.resize(got);
            result.kind = ReadResult::Kind::truncated;
            return result;
        }
    }
    result.kind = ReadResult::Kind::frame;
    return result;
}

} // namespace tabagent::host
