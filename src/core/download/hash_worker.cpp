#include "core/download/hash_worker.hpp"

#include <algorithm>
#include <vector>

namespace tabagent::download {
namespace {

// One slot hashes at most this much before the next queued one gets its turn.
constexpr std::uint64_t k_turn_bytes = 8u << 20;

} // namespace

HashSlot::HashSlot(util::UniqueFd fd, util::HashKind kind, std::uint64_t size)
    : m_fd(std::move(fd)), m_kind(kind), m_size(size), m_hasher(std::make_unique<util::Hasher>(kind, size)) {}

bool HashSlot::advance(std::uint64_t prefix) {
    std::lock_guard lock(m_mutex);
    if (m_closed) return false;
    m_target = std::max(m_target, std::min(prefix, m_size));
    if (m_queued || hashed() >= m_target) return false;
    m_queued = true;
    return true;
}

bool HashSlot::step(std::span<std::byte> buffer) {
    std::uint64_t from = 0;
    std::size_t want = 0;
    {
        std::lock_guard lock(m_mutex);
        from = hashed();
        if (m_closed || from >= m_target) {
            m_queued = false;
            return false;
        }
        want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), m_target - from));
        m_busy = true;
    }
    auto got = m_fd.pread_some(buffer.first(want), from);
    const bool ok = got && *got > 0;
    if (ok) m_hasher->update(buffer.data(), *got);
    std::lock_guard lock(m_mutex);
    m_busy = false;
    if (ok) m_hashed.store(from + *got, std::memory_order_release);
    else m_queued = false; // left short: the final check reports it, the next advance retries
    m_idle.notify_all();
    return ok;
}

void HashSlot::wait_idle(std::unique_lock<std::mutex>& lock) {
    m_idle.wait(lock, [this] { return !m_busy; });
}

std::string HashSlot::digest() {
    std::unique_lock lock(m_mutex);
    wait_idle(lock);
    return m_hasher->hex_digest();
}

void HashSlot::restart() {
    std::unique_lock lock(m_mutex);
    wait_idle(lock);
    m_hasher = std::make_unique<util::Hasher>(m_kind, m_size);
    m_hashed.store(0, std::memory_order_release);
    m_target = 0;
}

void HashSlot::close() {
    std::unique_lock lock(m_mutex);
    wait_idle(lock);
    m_closed = true;
    m_fd.reset();
}

HashWorker::HashWorker(std::function<void()> caught_up)
    : m_caught_up(std::move(caught_up)), m_thread([this](std::stop_token stop) { run(stop); }) {}

HashWorker::~HashWorker() {
    m_thread.request_stop();
    m_cv.notify_all();
}

void HashWorker::advance(const std::shared_ptr<HashSlot>& slot, std::uint64_t prefix) {
    if (!slot->advance(prefix)) return;
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(slot);
    }
    m_cv.notify_one();
}

void HashWorker::run(std::stop_token stop) {
    std::vector<std::byte> buffer(k_hash_step);
    while (true) {
        std::shared_ptr<HashSlot> slot;
        {
            std::unique_lock lock(m_mutex);
            // wait() answers the predicate even once stop is requested: a queue that is never
            // empty (a slot put back below) would keep an engine that shuts down spinning here.
            if (!m_cv.wait(lock, stop, [&] { return !m_queue.empty(); }) || stop.stop_requested()) return;
            slot = std::move(m_queue.front());
            m_queue.pop_front();
        }
        bool more = true;
        for (std::uint64_t turn = 0; more && turn < k_turn_bytes && !stop.stop_requested(); turn += buffer.size())
            more = slot->step(buffer);
        if (more) {
            std::lock_guard lock(m_mutex);
            m_queue.push_back(std::move(slot)); // still queued: its turn comes again
        } else if (m_caught_up) {
            m_caught_up();
        }
    }
}

} // namespace tabagent::download
