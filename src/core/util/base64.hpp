#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace tabagent::util {

// Characters base64_encode writes for `size` bytes (padding included).
constexpr std::size_t base64_encoded_size(std::size_t size) { return (size + 2) / 3 * 4; }

// Standard alphabet with padding (what atob() and Uint8Array.fromBase64 read).
std::string base64_encode(const void* data, std::size_t size);

// Writes base64_encoded_size(size) characters at `out`; returns how many. `data` may overlap
// `out` only as the tail of the output area (data == out + base64_encoded_size(size) - size):
// a buffer read into the end of its own output area is encoded in place, without a second buffer
// (every input group is loaded before the output catches up with it).
std::size_t base64_encode_to(const void* data, std::size_t size, char* out);

} // namespace tabagent::util
