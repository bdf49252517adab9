#pragma once
// Hashes the contiguous written prefix of partial files on a thread of its own (DESIGN §7:
// "hashing overlaps the transfer"). On the loop thread sha256 took about half of the host's CPU
// at 300 MB/s and every megabyte hashed there was a megabyte of sockets not read; here the loop
// only says how far the prefix reaches, and the worker catches up with pread (not mmap: mapped
// pages count against memory).
//
// A HashSlot is one file's hash state, shared by its PartialFile (loop thread) and the worker.
// The worker touches the hasher and the slot's own fd only between `busy` flags; the loop's
// calls that change them (restart, close, digest) wait for the step in flight to end.
#include "core/util/fd.hpp"
#include "core/util/hash.hpp"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

namespace tabagent::download {

inline constexpr std::size_t k_hash_step = 1u << 20; // one pread while hashing

class HashSlot {
public:
    // `fd` is the slot's own handle on the partial (a duplicate: the worker may outlive a move).
    HashSlot(util::UniqueFd fd, util::HashKind kind, std::uint64_t size);

    std::uint64_t hashed() const { return m_hashed.load(std::memory_order_acquire); }
    // Raises the prefix to hash up to. True when the caller must queue the slot (work appeared
    // and it is not queued yet).
    bool advance(std::uint64_t prefix);
    // Hashes one step (at most buffer.size() bytes). False once caught up (or closed, or a read
    // failed: the next advance retries it), and the slot counts as no longer queued.
    bool step(std::span<std::byte> buffer);
    // The digest of the first `size` bytes; call once hashed() == size.
    std::string digest();
    // Starts over from byte 0 with a fresh hasher (integrity retry).
    void restart();
    // No more steps; the fd is closed before this returns (Windows cannot delete an open file).
    void close();

private:
    void wait_idle(std::unique_lock<std::mutex>& lock);

    std::mutex m_mutex;
    std::condition_variable m_idle;
    util::UniqueFd m_fd;
    util::HashKind m_kind;
    std::uint64_t m_size;
    std::unique_ptr<util::Hasher> m_hasher;
    std::atomic<std::uint64_t> m_hashed{0};
    std::uint64_t m_target = 0;
    bool m_queued = false, m_busy = false, m_closed = false;
};

class HashWorker {
public:
    // `caught_up` runs on the worker thread whenever a slot has hashed all it was given (the
    // engine wakes its loop there, to verify a complete file at once).
    explicit HashWorker(std::function<void()> caught_up);
    ~HashWorker(); // drops the queue; the slots' owners close them
    HashWorker(const HashWorker&) = delete;
    HashWorker& operator=(const HashWorker&) = delete;

    void advance(const std::shared_ptr<HashSlot>& slot, std::uint64_t prefix);

private:
    void run(std::stop_token stop);

    std::function<void()> m_caught_up;
    std::mutex m_mutex;
    std::condition_variable_any m_cv;
    std::deque<std::shared_ptr<HashSlot>> m_queue;
    std::jthread m_thread;
};

} // namespace tabagent::download
