#pragma once
// The `.incomplete` file of one transfer and everything that is about its bytes: which ranges are
// written (RangeSet), the journal beside it (`<partial>.journal`, at least every 16 MiB and every
// second while bytes arrive), the hash of the contiguous written prefix (a HashSlot, hashed with
// pread by the HashWorker while later pieces still arrive), the writeback hand-off of the hashed
// prefix, and the final check. Time is passed in; no network.
#include "core/download/hash_worker.hpp"
#include "core/download/range_set.hpp"
#include "core/download/transfer.hpp"
#include "core/error.hpp"
#include "core/util/fd.hpp"
#include "core/util/hash.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace tabagent::download {

inline constexpr std::uint64_t k_journal_bytes = 16u << 20;            // journal at least every 16 MiB ...
inline constexpr auto k_journal_interval = std::chrono::seconds(1);     // ... and every second
inline constexpr std::uint64_t k_writeback_step = 8u << 20; // queue writeback per 8 MiB of hashed prefix

class PartialFile {
public:
    using Clock = std::chrono::steady_clock;

    // The pre-flight of Engine::start: the etag names a hash kind (else BAD_REQUEST); the partial
    // opens (created if missing); a journal with the same etag and size resumes its ranges (never
    // past the file's end), anything else truncates the partial and removes the journal; the
    // missing bytes fit on the disk (statvfs; else DISK_FULL, and a partial this call created is
    // removed again).
    static Result<PartialFile> open(const FileRequest& request, Clock::time_point now);
    ~PartialFile(); // closes the hash slot: the worker never reads a file its owner let go
    PartialFile(PartialFile&&) noexcept = default;
    PartialFile& operator=(PartialFile&&) noexcept = default;

    const RangeSet& done() const { return m_done; }
    std::uint64_t size() const { return m_size; }
    const util::UniqueFd& fd() const { return m_fd; } // the open partial (for the writeback thread)
    bool is_open() const { return static_cast<bool>(m_fd); }
    const std::filesystem::path& path() const { return m_path; }

    // pwrite of body bytes at `offset`, recorded as done. ENOSPC -> DISK_FULL.
    Status write(const char* data, std::size_t size, std::uint64_t offset);

    // True when unjournaled bytes exist and 16 MiB or a second have passed since the last flush.
    bool journal_due(Clock::time_point now) const;
    // Rewrites the journal when bytes were written since the last flush (and the file is open).
    void flush_journal(Clock::time_point now);

    // Hands the written prefix to `worker`, which hashes it on its thread; without a worker the
    // prefix is hashed here and now (tests that want the loop deterministic).
    void pump_hash(HashWorker* worker);
    std::uint64_t hashed() const { return m_hash->hashed(); }
    // The hashed bytes to hand to the writeback thread now (every 8 MiB, and the rest at the end).
    std::optional<std::pair<std::uint64_t, std::uint64_t>> take_writeback();
    // Every byte is written and hashed: verify() can decide.
    bool complete() const { return m_done.covers(0, m_size) && hashed() >= m_size; }

    enum class Verdict {
        verified,    // truncated to size, journal removed, file closed
        fetch_again, // first mismatch: journal removed, partial emptied, hash restarted
    };
    // On a second mismatch: partial and journal removed, INTEGRITY (details expected, actual).
    Result<Verdict> verify();

private:
    PartialFile() = default;

    util::UniqueFd m_fd;
    std::filesystem::path m_path;
    std::string m_url, m_etag;
    std::uint64_t m_size = 0;
    util::HashKind m_kind = util::HashKind::sha256;
    std::shared_ptr<HashSlot> m_hash; // shared with the HashWorker's queue
    std::uint64_t m_written_back = 0; // prefix handed to the writeback thread
    RangeSet m_done;
    bool m_integrity_retried = false;
    bool m_journal_dirty = false;
    std::uint64_t m_unjournaled = 0;
    Clock::time_point m_last_journal{};
};

} // namespace tabagent::download
