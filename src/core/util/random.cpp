#include "core/util/random.hpp"

#include "core/platform/process.hpp"

#include <vector>

namespace tabagent::util {

Result<std::string> random_hex(std::size_t bytes) {
    std::vector<unsigned char> buffer(bytes);
    if (auto filled = platform::random_bytes(buffer); !filled) return tl::unexpected(filled.error());
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
