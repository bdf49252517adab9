#pragma once
// Chrome native-messaging framing: a uint32 length in native byte order, then that many bytes
// of UTF-8 JSON. The reader never allocates more than it has actually received.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tabagent::host {

inline constexpr std::uint32_t k_default_max_input_bytes = 64u * 1024 * 1024; // Chrome's own cap
inline constexpr std::size_t k_max_output_frame_bytes = 1024 * 1024;          // Chrome drops bigger

// 4-byte native-endian length + body.
std::string encode_frame(std::string_view body);

struct ReadResult {
    enum class Kind {
        frame,     // `body` holds one whole frame
        eof,       // clean end of stream between frames
        too_large, // declared length over the limit; `declared` holds it; stream unusable
        truncated, // stream ended inside a header or a body; stream unusable
        io_error,
    };
    Kind kind = Kind::eof;
    std::string body;
    std::uint64_t declared = 0;
};

// Reads frames from a descriptor (blocking): stdin, a pipe (platform::read_some; on Windows the
// OS handle behind it, so no text-mode translation).
class FrameReader {
public:
    FrameReader(int fd, std::uint32_t max_bytes) : m_fd(fd), m_max(max_bytes) {}
    ReadResult next();

private:
    // Reads up to `size` bytes; returns how many arrived before EOF (or -1 on error).
    long read_fully(char* out, std::size_t size);
    int m_fd;
    std::uint32_t m_max;
};

} // namespace tabagent::host
