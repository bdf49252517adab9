#include "core/download/writeback.hpp"

#include "core/platform/writeback.hpp"

namespace tabagent::download {

Writeback::Writeback() : m_thread([this](std::stop_token stop) { run(stop); }) {}

Writeback::~Writeback() {
    m_thread.request_stop();
    m_cv.notify_all();
}

void Writeback::request(const util::UniqueFd& file, std::uint64_t offset, std::uint64_t length) {
    // Nothing to start here (Windows, macOS): no duplicate either. On Windows a queued duplicate
    // kept a partial that failed its hash visible after the engine deleted it (delete pending until
    // this thread closed the copy), and a new download of that name would have been refused.
    if (!file || length == 0 || !platform::writeback_works()) return;
    auto copy = file.duplicate();
    if (!copy) return; // best effort: the fsync at publish time still happens
    {
        std::lock_guard lock(m_mutex);
        m_items.push_back({std::move(*copy), offset, length});
    }
    m_cv.notify_one();
}

void Writeback::run(std::stop_token stop) {
    while (true) {
        Item item;
        {
            std::unique_lock lock(m_mutex);
            if (!m_cv.wait(lock, stop, [&] { return !m_items.empty(); }))
                return;
            item = std::move(m_items.front());
            m_items.pop_front();
        }
        item.fd.start_writeback(item.offset, item.length);
    }
}

} // namespace tabagent::download
