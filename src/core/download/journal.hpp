#pragma once
// The small file beside a partial download (`<partial>.journal`) naming what the partial is
// (url, etag, size) and which byte ranges of it are durable. Written atomically (temp + fdatasync +
// rename) and only after the data it names was fdatasync-ed, so after a kill -9 it never claims
// bytes that are not on disk. The hash check at the end stays the final guard.
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
Status write_journal(const std::filesystem::path& path, const JournalData& data);

} // namespace tabagent::download
