#pragma once
// Random bytes from the system CSPRNG (platform::random_bytes: getrandom(2), BCryptGenRandom): no
// libcrypto, no seeding, safe to call from any thread. For secrets (the file server's token) and
// unique names (atomic_file's temp files).
#include "core/error.hpp"

#include <cstddef>
#include <string>

namespace tabagent::util {

// `bytes` random bytes as lowercase hex (two characters per byte). INTERNAL when the system
// generator fails.
Result<std::string> random_hex(std::size_t bytes);

} // namespace tabagent::util
