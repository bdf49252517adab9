#pragma once
// Fast deterministic file content for generated repos (splitmix64, 1 MiB writes), with the hashes
// the server's cache needs computed on the way.
#include <cstdint>
#include <filesystem>
#include <string>

namespace tabagent::fakehub {

struct WrittenFile {
    std::uint64_t size = 0;
    std::string sha256;   // empty unless asked for
    std::string git_sha1; // empty unless asked for
};

// Writes `size` bytes: `prefix` (e.g. a GGUF or safetensors header) then random bytes seeded by
// `seed` and `key` (the repo path), so the same seed and path always give the same file.
// Throws std::runtime_error on I/O failure.
WrittenFile write_random_file(const std::filesystem::path& dest, std::uint64_t size, std::uint64_t seed,
                              const std::string& key, const std::string& prefix, bool want_sha256,
                              bool want_sha1);
// Writes text verbatim and hashes it.
WrittenFile write_text_file(const std::filesystem::path& dest, const std::string& text, bool want_sha256,
                            bool want_sha1);

} // namespace tabagent::fakehub
