#include "core/util/hash.hpp"

#include "core/util/fd.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <vector>

namespace tabagent::util {

struct Hasher::Impl {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Hasher::Hasher(HashKind kind, std::uint64_t total_size) : m_impl(std::make_unique<Impl>()) {
    EVP_DigestInit_ex(m_impl->ctx.get(), kind == HashKind::sha256 ? EVP_sha256() : EVP_sha1(), nullptr);
    if (kind == HashKind::git_sha1) {
        std::string header = "blob " + std::to_string(total_size);
        header.push_back('\0');
        update(header.data(), header.size());
    }
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, std::size_t size) { EVP_DigestUpdate(m_impl->ctx.get(), data, size); }
void Hasher::update(std::span<const std::byte> data) { update(data.data(), data.size()); }

std::string Hasher::hex_digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_impl->ctx.get(), md.data(), &len);
    return to_hex({md.data(), len});
}

std::string to_hex(std::span<const unsigned char> bytes) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out.push_back(k_digits[b >> 4]);
        out.push_back(k_digits[b & 0xF]);
    }
    return out;
}

bool hash_kind_for_etag(std::string_view etag, HashKind& out) {
    for (char c : etag)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    if (etag.size() == 64) out = HashKind::sha256;
    else if (etag.size() == 40) out = HashKind::git_sha1;
    else return false;
    return true;
}

Result<std::string> hash_file(const std::filesystem::path& path, HashKind kind) {
    auto fd = UniqueFd::open_read(path);
    if (!fd) return tl::unexpected(fd.error());
    auto size = fd->size();
    if (!size) return tl::unexpected(size.error());
    Hasher hasher(kind, *size);
    std::vector<std::byte> buffer(1 << 20);
    std::uint64_t offset = 0;
    while (true) {
        auto n = fd->pread_some(buffer, offset);
        if (!n) return tl::unexpected(n.error());
        if (*n == 0) break;
        hasher.update(buffer.data(), *n);
        offset += *n;
    }
    return hasher.hex_digest();
}

Result<bool> file_matches_etag(const std::filesystem::path& path, std::string_view etag) {
    HashKind kind{};
    if (!hash_kind_for_etag(etag, kind))
        return fail(ErrorCode::integrity, "blob name is not a sha256 or git sha1", {{"etag", std::string(etag)}});
    auto digest = hash_file(path, kind);
    if (!digest) return tl::unexpected(digest.error());
    std::string lower(etag);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return *digest == lower;
}

} // namespace tabagent::util
