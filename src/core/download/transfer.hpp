#pragma once
// What a transfer engine offers its users (the download runner): start a file, then cancel,
// pause or resume it. `Engine` (engine.hpp) is the libcurl one; tests drive the runner with a
// fake one.
#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace tabagent::download {

struct FileRequest {
    std::string url;                  // e.g. the Hub resolve URL; redirects are followed
    std::vector<std::string> headers; // e.g. "Authorization: Bearer ..."; sent only to url's origin
    std::filesystem::path partial;    // blobs/<etag>.incomplete; its directory must exist
    std::uint64_t size = 0;           // expected byte count
    std::string etag;                 // 64 hex = sha256, 40 hex = git blob sha1; verifies the bytes
};

struct Progress {
    std::uint64_t bytes_done = 0; // bytes of the file present (resumed ones included)
    std::uint64_t bytes_total = 0;
    double bytes_per_second = 0;
    bool waiting = false; // backing off before a retry (Retry-After, errors) or the host's budget
    double retry_in_seconds = 0; // while waiting: until the next connection may open
    bool paused = false;
    int connections = 0;
};

using TransferId = std::uint64_t;
using ProgressCallback = std::function<void(const Progress&)>;
using DoneCallback = std::function<void(Status)>;

class TransferEngine {
public:
    virtual ~TransferEngine() = default;
    // The contract is Engine::start's: either an error now and no callback ever, or exactly one
    // on_done later; callbacks run on the engine's thread and must be cheap.
    virtual Result<TransferId> start(FileRequest request, ProgressCallback on_progress,
                                     DoneCallback on_done) = 0;
    // Unknown ids are ignored.
    virtual void cancel(TransferId id) = 0;
    virtual void pause(TransferId id) = 0;
    virtual void resume(TransferId id) = 0;
};

} // namespace tabagent::download
