#include "core/util/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <vector>

namespace tabagent::util {

Result<std::string> random_hex(std::size_t bytes) {
    std::vector<unsigned char> buffer(bytes);
    std::size_t filled = 0;
    // Requests of up to 256 bytes are never short once the pool is initialised; longer ones may
    // be, and EINTR can only come before any byte was read: loop on both.
    while (filled < buffer.size()) {
        const ssize_t n = ::getrandom(buffer.data() + filled, buffer.size() - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail(ErrorCode::internal, "the system random generator failed");
        filled += static_cast<std::size_t>(n);
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (unsigned char b : buffer) {
        out += k_hex[b >> 4];
        out += k_hex[b & 0xF];
    }
    return out;
}

} // namespace tabagent::util
