#include "core/download/partial_file.hpp"

#include "core/download/journal.hpp"
#include "core/hub/http.hpp"
#include "core/platform/fs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace tabagent::download {
namespace {

// DISK_FULL when the missing bytes do not fit in the partial's directory; unknown free space
// (statvfs / GetDiskFreeSpaceExW failing) lets the download try.
Status check_free_space(const std::filesystem::path& partial, std::uint64_t missing) {
    const auto dir = partial.has_parent_path() ? partial.parent_path() : std::filesystem::path(".");
    auto free = platform::disk_free(dir);
    if (!free) return {};
    const auto free_bytes = *free;
    if (free_bytes >= missing) return {};
    return fail(ErrorCode::disk_full, "not enough free disk space for the download",
                {{"needed", missing}, {"free", free_bytes}, {"path", dir.string()}});
}

Error with_path(Error error, const std::filesystem::path& path) {
    error.details["path"] = path.string();
    return error;
}

} // namespace

Result<PartialFile> PartialFile::open(const FileRequest& request, Clock::time_point now) {
    PartialFile file;
    if (!util::hash_kind_for_etag(request.etag, file.m_kind))
        return fail(ErrorCode::bad_request, "etag is neither a sha256 nor a git sha1",
                    {{"etag", request.etag}});
    const auto journal = journal_path(request.partial);
    std::error_code exists_ec;
    const bool existed = std::filesystem::exists(request.partial, exists_ec);
    auto fd = util::UniqueFd::open_write(request.partial);
    if (!fd) return tl::unexpected(fd.error());
    auto existing = read_journal(journal);
    auto file_size = fd->size();
    if (!file_size) return tl::unexpected(file_size.error());
    if (existing && existing->etag == request.etag && existing->size == request.size) {
        file.m_done = std::move(existing->done);
        file.m_done.clip(std::min(*file_size, request.size)); // never trust bytes past EOF
    } else {
        // Unknown or different content: start clean.
        std::error_code ec;
        std::filesystem::remove(journal, ec);
        if (auto truncated = fd->truncate(0); !truncated)
            return tl::unexpected(with_path(truncated.error(), request.partial));
    }
    if (auto space = check_free_space(request.partial, request.size - file.m_done.covered()); !space) {
        if (!existed) { // "nothing started": no empty partial left behind
            fd->reset();
            std::filesystem::remove(request.partial, exists_ec);
        }
        return tl::unexpected(space.error());
    }
    auto hash_fd = fd->duplicate();
    if (!hash_fd) return tl::unexpected(with_path(hash_fd.error(), request.partial));
    file.m_hash = std::make_shared<HashSlot>(std::move(*hash_fd), file.m_kind, request.size);
    file.m_fd = std::move(*fd);
    file.m_path = request.partial;
    file.m_url = request.url;
    file.m_etag = request.etag;
    file.m_size = request.size;
    file.m_last_journal = now;
    return file;
}

Status PartialFile::write(const char* data, std::size_t size, std::uint64_t offset) {
    if (auto written = m_fd.pwrite_all(data, size, offset); !written) return written;
    m_done.add(offset, offset + size);
    m_unjournaled += size;
    m_journal_dirty = true;
    return {};
}

bool PartialFile::journal_due(Clock::time_point now) const {
    return m_journal_dirty && (m_unjournaled >= k_journal_bytes || now - m_last_journal >= k_journal_interval);
}

void PartialFile::flush_journal(Clock::time_point now) {
    if (!m_journal_dirty || !m_fd) return;
    // No fdatasync here: the journal names bytes already written to the partial, which a
    // kill -9 cannot take back (they are in the page cache). After a power loss it may name
    // bytes that never reached the disk; the final hash check catches that and the file is
    // fetched again (integrity retry). Syncing here ran at disk speed on the loop thread and
    // capped downloads at ~70 MB/s on a disk that writes 70 MB/s.
    JournalData data{m_url, m_etag, m_size, m_done};
    if (auto written = write_journal(journal_path(m_path), data, false); !written)
        spdlog::warn("download: {}", written.error().message);
    m_journal_dirty = false;
    m_unjournaled = 0;
    m_last_journal = now;
}

PartialFile::~PartialFile() {
    if (m_hash) m_hash->close();
}

void PartialFile::pump_hash(HashWorker* worker) {
    const std::uint64_t prefix = m_done.prefix_end();
    if (worker) {
        worker->advance(m_hash, prefix);
        return;
    }
    if (!m_hash->advance(prefix)) return;
    std::vector<std::byte> buffer(k_hash_step);
    while (m_hash->step(buffer)) {
    }
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> PartialFile::take_writeback() {
    const std::uint64_t hashed_now = hashed();
    if (hashed_now - m_written_back < k_writeback_step && !(hashed_now == m_size && hashed_now > m_written_back))
        return std::nullopt;
    const std::pair<std::uint64_t, std::uint64_t> range{m_written_back, hashed_now - m_written_back};
    m_written_back = hashed_now;
    return range;
}

Result<PartialFile::Verdict> PartialFile::verify() {
    const std::string actual = m_hash->digest();
    std::string expected = m_etag;
    std::transform(expected.begin(), expected.end(), expected.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const auto journal = journal_path(m_path);
    std::error_code ec;
    if (actual == expected) {
        // The fsync before the rename is cache::Store::publish's; the writeback thread has been
        // pushing the bytes to disk since the download began, so it has little left to do.
        if (auto truncated = m_fd.truncate(m_size); !truncated) return tl::unexpected(with_path(truncated.error(), m_path));
        std::filesystem::remove(journal, ec);
        m_hash->close();
        m_fd.reset();
        return Verdict::verified;
    }
    spdlog::warn("download: hash mismatch for {} (expected {}, got {})", hub::strip_query(m_url),
                 expected, actual);
    if (!m_integrity_retried) {
        // Bad data is removed and the file fetched once more from scratch.
        m_integrity_retried = true;
        std::filesystem::remove(journal, ec);
        if (auto truncated = m_fd.truncate(0); !truncated) return tl::unexpected(with_path(truncated.error(), m_path));
        m_done.clear();
        m_written_back = 0;
        m_hash->restart();
        return Verdict::fetch_again;
    }
    m_hash->close();
    m_fd.reset();
    std::filesystem::remove(m_path, ec);
    std::filesystem::remove(journal, ec);
    return fail(ErrorCode::integrity, "downloaded bytes do not match the expected hash",
                {{"expected", expected}, {"actual", actual}});
}

} // namespace tabagent::download
