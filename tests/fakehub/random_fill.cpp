#include "random_fill.hpp"

#include "core/util/fd.hpp"
#include "core/util/hash.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

namespace tabagent::fakehub {

namespace {

std::uint64_t splitmix(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

struct Sink {
    util::UniqueFd fd;
    std::optional<util::Hasher> sha256, sha1;
    std::uint64_t written = 0;

    Sink(const std::filesystem::path& dest, std::uint64_t size, bool want256, bool want1) {
        std::filesystem::create_directories(dest.parent_path());
        fd.reset(::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd) throw std::runtime_error("cannot create " + dest.string() + ": " + std::strerror(errno));
        if (want256) sha256.emplace(util::HashKind::sha256, size);
        if (want1) sha1.emplace(util::HashKind::git_sha1, size);
    }
    void put(const char* data, std::size_t n) {
        if (sha256) sha256->update(data, n);
        if (sha1) sha1->update(data, n);
        if (auto st = fd.pwrite_all(data, n, written); !st) throw std::runtime_error(st.error().message);
        written += n;
    }
    WrittenFile finish() {
        WrittenFile out;
        out.size = written;
        if (sha256) out.sha256 = sha256->hex_digest();
        if (sha1) out.git_sha1 = sha1->hex_digest();
        return out;
    }
};

} // namespace

WrittenFile write_random_file(const std::filesystem::path& dest, std::uint64_t size, std::uint64_t seed,
                              const std::string& key, const std::string& prefix, bool want_sha256,
                              bool want_sha1) {
    Sink sink(dest, size, want_sha256, want_sha1);
    const std::size_t head = static_cast<std::size_t>(std::min<std::uint64_t>(prefix.size(), size));
    sink.put(prefix.data(), head);
    std::uint64_t state = seed ^ fnv1a(key);
    constexpr std::size_t k_block = 1 << 20;
    std::vector<std::uint64_t> block(k_block / 8);
    std::uint64_t left = size - head;
    while (left > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, k_block));
        for (std::size_t i = 0; i < (n + 7) / 8; ++i) block[i] = splitmix(state);
        sink.put(reinterpret_cast<const char*>(block.data()), n);
        left -= n;
    }
    return sink.finish();
}

WrittenFile write_text_file(const std::filesystem::path& dest, const std::string& text, bool want_sha256,
                            bool want_sha1) {
    Sink sink(dest, text.size(), want_sha256, want_sha1);
    sink.put(text.data(), text.size());
    return sink.finish();
}

} // namespace tabagent::fakehub
