#pragma once
// Shared helpers of the download_*_test.cpp files: a temp dir per test case, real hashes, and a
// recorder of one transfer's callbacks.
#include "core/download/engine.hpp"
#include "core/util/hash.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace download_test {

using namespace tabagent;

using tabagent::test::TempDir;

inline std::string hash_of(const std::string& data, util::HashKind kind) {
    util::Hasher h(kind, data.size());
    h.update(data.data(), data.size());
    return h.hex_digest();
}
inline std::string sha256_of(const std::string& data) { return hash_of(data, util::HashKind::sha256); }
inline std::string git_sha1_of(const std::string& data) { return hash_of(data, util::HashKind::git_sha1); }

inline std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline download::FileRequest request_for(const std::string& url, const std::filesystem::path& partial,
                                         const std::string& content) {
    return {url, {}, partial, content.size(), sha256_of(content)};
}

// The options the download tests start from: short backoff and stall timeout, 1 MiB segments.
inline download::EngineOptions quick_options() {
    download::EngineOptions o;
    o.backoff_base = std::chrono::milliseconds(50);
    o.backoff_cap = std::chrono::milliseconds(500);
    o.stall_timeout = std::chrono::seconds(1);
    o.min_segment_size = 1u << 20;
    o.piece_size = 8u << 20;
    o.max_connections_per_file = 4;
    return o;
}

// Starts one transfer and records what its callbacks saw. The state is shared with the
// callbacks, so an engine that outlives the recorder (and reports CANCELLED when it shuts down)
// writes into live memory.
class Run {
public:
    void begin(download::TransferEngine& engine, download::FileRequest request) {
        auto state = m_state;
        auto started = engine.start(
            std::move(request),
            [state](const download::Progress& p) {
                std::lock_guard lock(state->mutex);
                state->progress.push_back(p);
            },
            [state](Status s) {
                {
                    std::lock_guard lock(state->mutex);
                    state->status = std::move(s);
                }
                state->cv.notify_all();
            });
        if (started) id = *started;
        else start_error = started.error();
    }
    // Waits for on_done; the bound only turns a hang into a failure (live-server tests).
    bool wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
        std::unique_lock lock(m_state->mutex);
        return m_state->cv.wait_for(lock, limit, [&] { return m_state->status.has_value(); });
    }
    bool done() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->status.has_value();
    }
    Status status() const {
        std::lock_guard lock(m_state->mutex);
        REQUIRE(m_state->status.has_value());
        return *m_state->status;
    }
    std::vector<download::Progress> progress() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->progress;
    }
    std::uint64_t last_done() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->progress.empty() ? 0 : m_state->progress.back().bytes_done;
    }
    std::string message() const {
        auto s = status();
        return s ? "" : s.error().message;
    }

    std::optional<download::TransferId> id;
    std::optional<Error> start_error;

private:
    struct State {
        mutable std::mutex mutex;
        std::condition_variable cv;
        std::vector<download::Progress> progress;
        std::optional<Status> status;
    };
    std::shared_ptr<State> m_state = std::make_shared<State>();
};

} // namespace download_test
