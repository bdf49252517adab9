#pragma once
// Streaming SHA-256 / SHA-1 (OpenSSL EVP) and the two etag kinds of the Hub: an LFS file's etag is
// the SHA-256 of its bytes, a small git file's is sha1("blob <size>\0" + bytes).
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace tabagent::util {

enum class HashKind { sha256, git_sha1 };

// Which kind an etag is: 64 hex chars -> sha256, 40 -> git_sha1.
bool hash_kind_for_etag(std::string_view etag, HashKind& out);

class Hasher {
public:
    // For git_sha1 the "blob <size>\0" header is fed first, so `total_size` must be known.
    Hasher(HashKind kind, std::uint64_t total_size);
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(std::span<const std::byte> data);
    void update(const void* data, std::size_t size);
    std::string hex_digest(); // finalises; lower-case hex

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Hashes a whole file with bounded memory (pread in 1 MiB steps).
Result<std::string> hash_file(const std::filesystem::path& path, HashKind kind);
// True when the file's hash equals `etag` (kind derived from the etag's length).
Result<bool> file_matches_etag(const std::filesystem::path& path, std::string_view etag);

std::string to_hex(std::span<const unsigned char> bytes);

} // namespace tabagent::util
