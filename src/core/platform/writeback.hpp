#pragma once
// Whether File::start_writeback (file.hpp) does anything on this platform: Linux queues the range's
// writeback; macOS and Windows have nothing to start. Where it does nothing, a caller keeps no
// handle open for it, and must not on Windows: a deleted file's name stays there (delete pending,
// a new file of that name refused) until every handle to it is closed.
namespace tabagent::platform {

bool writeback_works();

} // namespace tabagent::platform
