// platform/net.hpp's file half on POSIX: open a blob for sending, and send a range of it.
#include "core/platform/net.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && !defined(TABAGENT_POSIX_FALLBACKS)
#include <sys/sendfile.h>
#define TABAGENT_LINUX_SENDFILE 1
#else
#define TABAGENT_LINUX_SENDFILE 0
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>

namespace tabagent::platform {
namespace {

// One buffer per pread + send: a 64 KiB stack array would be a lot for small thread stacks.
constexpr std::size_t k_copy_step = 64 * 1024;

// set_send_file_copies(true): the copy even where sendfile(2) exists (tests run both paths).
std::atomic<bool> g_copy_only{false};

// What macOS can do too (its sendfile(2) has another signature; this copy is the fallback).
// A short send re-reads the unsent rest on the next call: simpler than keeping a buffer.
IoResult copy(const Socket& socket, int in, std::uint64_t offset, std::uint64_t length) {
    thread_local std::string buffer(k_copy_step, '\0');
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length, k_copy_step));
    ssize_t got = 0;
    do {
        got = ::pread(in, buffer.data(), want, static_cast<off_t>(offset));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) return {IoState::closed, 0}; // read error, or the file shrank
    return send_some(socket, std::string_view(buffer.data(), static_cast<std::size_t>(got)), false);
}

#if TABAGENT_LINUX_SENDFILE
bool send_would_block(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

// sendfile moves at most 0x7ffff000 bytes per call anyway; asking for less keeps off_t arithmetic
// obviously in range.
constexpr std::uint64_t k_sendfile_step = 1ULL << 30;

// sendfile(2) cannot be told MSG_NOSIGNAL; with SIGPIPE blocked in the thread that sends, a peer
// hanging up mid-body is an EPIPE here, whatever the embedding process does with SIGPIPE. The
// signal stays blocked in that thread (the server's workers do nothing else that needs it).
void block_sigpipe_once() {
    thread_local bool blocked = false;
    if (blocked) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    blocked = true;
}

IoResult linux_sendfile(int out, int in, std::uint64_t offset, std::uint64_t length) {
    block_sigpipe_once();
    auto pos = static_cast<off_t>(offset);
    while (true) {
        ssize_t n = ::sendfile(out, in, &pos, static_cast<std::size_t>(std::min(length, k_sendfile_step)));
        if (n > 0) return {IoState::ok, static_cast<std::size_t>(n)};
        if (n == 0) return {IoState::closed, 0}; // end of file before the end of the range: the file shrank
        if (errno == EINTR) continue;
        return {send_would_block(errno) ? IoState::would_block : IoState::closed, 0};
    }
}
#endif

} // namespace

IoResult send_file(const Socket& socket, NativeFile file, std::uint64_t offset, std::uint64_t length,
                   const Waker&, std::chrono::milliseconds) {
    if (length == 0) return {IoState::ok, 0};
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) return {IoState::closed, 0};
#if TABAGENT_LINUX_SENDFILE
    if (!g_copy_only.load()) return linux_sendfile(static_cast<int>(socket.native()), static_cast<int>(file), offset, length);
#endif
    return copy(socket, static_cast<int>(file), offset, length);
}

std::string_view send_file_method() { return TABAGENT_LINUX_SENDFILE && !g_copy_only.load() ? "sendfile" : "pread+send"; }

void set_send_file_copies(bool copy_only) { g_copy_only.store(copy_only); }

void FileToSend::reset() {
    if (m_file != k_no_file) ::close(static_cast<int>(m_file));
    m_file = k_no_file;
    m_size = 0;
}

Result<FileToSend> open_file_to_send(const std::filesystem::path& path) {
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int err = errno;
        ErrorCode code = err == ENOENT || err == ELOOP ? ErrorCode::not_found : ErrorCode::internal;
        return fail(code, "cannot open " + path.string() + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return fail(ErrorCode::not_found, "not a regular file: " + path.string());
    }
    return FileToSend(fd, static_cast<std::uint64_t>(st.st_size));
}

} // namespace tabagent::platform
