#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace tabagent::util {
// Standard alphabet with padding (what atob() in the browser reads).
std::string base64_encode(const void* data, std::size_t size);
} // namespace tabagent::util
