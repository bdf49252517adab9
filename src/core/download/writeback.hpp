#pragma once
// Starts the kernel's writeback of the finished prefix of a partial file while the download goes
// on (DESIGN §4: "flushed progressively while downloading so the final fsync is short"). Runs
// platform::File::start_writeback (Linux: sync_file_range(SYNC_FILE_RANGE_WRITE)) on its own thread:
// the call only queues the I/O, but it can block on a busy disk, and the engine's loop must never
// wait for the disk.
#include "core/util/fd.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace tabagent::download {

class Writeback {
  public:
    Writeback();
    ~Writeback(); // drops what is still queued (the final fsync covers it)
    Writeback(const Writeback &) = delete;
    Writeback &operator=(const Writeback &) = delete;

    // Queues [offset, offset + length) of `file` (duplicated, so the caller may close it).
    void request(const util::UniqueFd& file, std::uint64_t offset, std::uint64_t length);

  private:
    struct Item {
        util::UniqueFd fd;
        std::uint64_t offset = 0, length = 0;
    };
    void run(std::stop_token stop);

    std::mutex m_mutex;
    std::condition_variable_any m_cv;
    std::deque<Item> m_items;
    std::jthread m_thread;
};

} // namespace tabagent::download
