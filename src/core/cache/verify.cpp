#include "core/cache/verify.hpp"

#include "core/cache/scan.hpp"
#include "core/names.hpp"
#include "core/platform/fs.hpp"
#include "core/util/fd.hpp"
#include "core/util/hash.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace tabagent::cache {
namespace fs = std::filesystem;

std::string_view to_string(BlobState state) {
    switch (state) {
    case BlobState::ok: return "ok";
    case BlobState::bad: return "bad";
    case BlobState::missing: return "missing";
    case BlobState::unverifiable: return "unverifiable";
    case BlobState::unreadable: return "unreadable";
    }
    return "unknown";
}

namespace {

constexpr std::size_t k_chunk = 1 << 20;

struct Hashing {
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    const VerifyProgress& progress;
    std::stop_token stop;
};

// Streams the file through the hasher with bounded memory, reporting progress per chunk.
// Returns nullopt when stopped.
Result<std::optional<std::string>> hash_blob(const fs::path& path, util::HashKind kind, Hashing& h) {
    auto fd = util::UniqueFd::open_read(path);
    if (!fd) return tl::unexpected(fd.error());
    auto size = fd->size();
    if (!size) return tl::unexpected(size.error());
    util::Hasher hasher(kind, *size);
    std::vector<std::byte> buffer(k_chunk);
    std::uint64_t offset = 0;
    while (true) {
        if (h.stop.stop_requested()) return std::optional<std::string>{};
        auto n = fd->pread_some(buffer, offset);
        if (!n) return tl::unexpected(n.error());
        if (*n == 0) break;
        hasher.update(buffer.data(), *n);
        offset += *n;
        h.done += *n;
        if (h.progress) h.progress(h.done, std::max(h.total, h.done));
    }
    return std::optional<std::string>{hasher.hex_digest()};
}

void verify_repo(const ScannedRepo& repo, bool remove_bad, Hashing& h, VerifyReport& report) {
    std::map<std::string, std::set<std::string>> linked; // etag -> paths
    for (const auto& rev : repo.revisions)
        for (const auto& f : rev.files)
            if (!f.etag.empty()) linked[f.etag].insert(f.path);
    auto files_of = [&](const std::string& etag) {
        auto it = linked.find(etag);
        return it == linked.end() ? std::vector<std::string>{}
                                  : std::vector<std::string>(it->second.begin(), it->second.end());
    };

    for (const auto& [etag, blob] : repo.blobs) {
        if (report.cancelled) return;
        BlobCheck check{repo.repo, etag, repo.dir / "blobs" / etag, blob.size, BlobState::ok, false,
                        files_of(etag), {}};
        util::HashKind kind{};
        std::string lower = etag;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!util::hash_kind_for_etag(etag, kind)) {
            check.state = BlobState::unverifiable;
        } else {
            auto digest = hash_blob(check.path, kind, h);
            if (!digest) {
                check.state = BlobState::unreadable;
                check.error = digest.error().message;
            } else if (!*digest) {
                report.cancelled = true;
                return;
            } else if (**digest != lower) {
                check.state = BlobState::bad;
                if (remove_bad) {
                    if (auto removed = platform::remove_file(check.path); removed && *removed) check.removed = true;
                    else report.warnings.push_back("cannot remove bad blob " + check.path.string());
                }
            }
        }
        report.blobs.push_back(std::move(check));
    }
    for (const auto& [etag, paths] : linked) {
        if (repo.blobs.count(etag)) continue;
        report.blobs.push_back(BlobCheck{repo.repo, etag, repo.dir / "blobs" / etag, 0, BlobState::missing,
                                         false, files_of(etag), {}});
    }
}

} // namespace

Result<VerifyReport> verify(const fs::path& root, const std::optional<std::string>& repo, bool remove_bad,
                            const VerifyProgress& progress, std::stop_token stop) {
    std::vector<ScannedRepo> repos;
    VerifyReport report;
    if (repo) {
        if (auto st = validate_repo(*repo); !st) return tl::unexpected(st.error());
        auto one = scan_repo(root, *repo);
        if (!one) return fail(ErrorCode::not_found, "model is not in the cache", {{"repo", *repo}});
        report.warnings = one->warnings;
        repos.push_back(std::move(*one));
    } else {
        auto scan = scan_cache(root);
        report.warnings = std::move(scan.warnings);
        repos = std::move(scan.repos);
    }

    Hashing h{0, 0, progress, stop};
    util::HashKind kind{};
    for (const auto& r : repos)
        for (const auto& [etag, blob] : r.blobs)
            if (util::hash_kind_for_etag(etag, kind)) h.total += blob.size;

    for (const auto& r : repos) {
        verify_repo(r, remove_bad, h, report);
        if (report.cancelled) break;
    }
    report.bytes_hashed = h.done;
    if (progress && !report.cancelled) progress(h.done, h.total);
    for (const auto& b : report.blobs) {
        switch (b.state) {
        case BlobState::ok: ++report.ok; break;
        case BlobState::bad: ++report.bad; break;
        case BlobState::missing: ++report.missing; break;
        case BlobState::unverifiable: ++report.unverifiable; break;
        case BlobState::unreadable: ++report.unreadable; break;
        }
    }
    return report;
}

} // namespace tabagent::cache
