#pragma once
// The small file beside a partial download (`<partial>.journal`) naming what the partial is
// (url, etag, size) and which byte ranges of it were written. Replaced atomically (temp + rename),
// so a kill -9 leaves the old or the new journal, never a torn one, and never one naming bytes the
// process had not written. It is not a power-loss record: without fsync it may name bytes that
// did not reach the disk; the hash check at the end is the guard (then the file is fetched again).
#include "core/download/range_set.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace tabagent::download {

struct JournalData {
    std::string url; // the request URL (never a signed CDN URL, never a token)
    std::string etag;
    std::uint64_t size = 0;
    RangeSet done;
};

std::filesystem::path journal_path(const std::filesystem::path& partial);
// nullopt when missing or unreadable (a damaged journal means "start clean").
std::optional<JournalData> read_journal(const std::filesystem::path& path);
// durable: fdatasync the journal before the rename (the engine passes false, see above).
Status write_journal(const std::filesystem::path& path, const JournalData& data, bool durable = true);

} // namespace tabagent::download
