#pragma once
#include <string_view>

namespace tabagent::util {
// Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);
} // namespace tabagent::util
