#pragma once
// Sockets for the loopback HTTP server (host/http) and its tests, one interface over BSD sockets
// (platform/posix/net.cpp) and Winsock 2 (platform/windows/net.cpp). Everything here is TCP over
// 127.0.0.1; nothing listens on another interface. Winsock is started by the seam itself the first
// time a socket is made (a function-local static), never by callers.
#include "core/error.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

namespace tabagent::platform {

// A socket as the OS names it: a descriptor (POSIX) or a SOCKET (Windows, a UINT_PTR). "None" is
// -1 on both (INVALID_SOCKET is ~0).
using NativeSocket = std::intptr_t;
inline constexpr NativeSocket k_no_socket = -1;

// An open file as the OS names it: a descriptor (POSIX) or a HANDLE (Windows).
// TODO(seam-fs): once platform/file.hpp lands, FileToSend becomes its File (or wraps it).
using NativeFile = std::intptr_t;
inline constexpr NativeFile k_no_file = -1;

// Owns one socket (or, for Waker, one pipe end on POSIX); closes it when destroyed.
class Socket {
public:
    Socket() = default;
    explicit Socket(NativeSocket s) : m_socket(s) {}
    ~Socket() { reset(); }
    Socket(Socket&& o) noexcept : m_socket(o.release()) {}
    Socket& operator=(Socket&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    NativeSocket native() const { return m_socket; }
    explicit operator bool() const { return m_socket != k_no_socket; }
    NativeSocket release() {
        NativeSocket s = m_socket;
        m_socket = k_no_socket;
        return s;
    }
    void reset(NativeSocket s = k_no_socket); // closes the one held, if any

private:
    NativeSocket m_socket = k_no_socket;
};

struct Listener {
    Socket socket; // non-blocking, not inherited by child processes
    int port = 0;
};

// Listens on 127.0.0.1 on a port the OS picks (port 0) and reports it. INTERNAL when a call fails.
Result<Listener> listen_loopback(int backlog);

// A blocking client socket connected to 127.0.0.1:`port`. NETWORK when nothing listens there.
Result<Socket> connect_loopback(int port);

// Accepts one connection from a non-blocking listener: the socket is non-blocking, not inherited
// by child processes, with Nagle off. An empty Socket when nothing was waiting (or the connection
// vanished before it was taken); INTERNAL otherwise (out of descriptors: the caller backs off).
Result<Socket> accept(const Socket& listener);

Status set_non_blocking(const Socket& socket, bool on);

enum class Shutdown { send, both };
// Ends sending (or both directions); errors (a connection already gone) are ignored.
void shutdown(const Socket& socket, Shutdown how);

// Readiness bits for poll().
inline constexpr unsigned k_readable = 1;
inline constexpr unsigned k_writable = 2;
inline constexpr unsigned k_hang_up = 4; // the peer hung up or the socket has an error
inline constexpr unsigned k_invalid = 8; // not an open socket

struct PollItem {
    NativeSocket handle = k_no_socket; // a socket, or Waker::pollable()
    unsigned want = 0;                 // k_readable | k_writable
    unsigned got = 0;                  // set by poll(); k_hang_up and k_invalid are always reported
};

// Waits until an item is ready or `timeout` passes (negative: no limit); returns how many items
// are ready, 0 on timeout or when a signal interrupted the wait (the caller rechecks its deadline).
// INTERNAL when the wait itself fails. poll(2) on POSIX, WSAPoll on Windows.
Result<int> poll(std::span<PollItem> items, std::chrono::milliseconds timeout);

// True once the peer closed or reset the connection. Never blocks and consumes nothing. On Linux
// POLLRDHUP; elsewhere a one-byte peek, so a peer that closed after sending bytes not yet read
// counts as present until they are read.
bool peer_gone(const Socket& socket);

// A one-shot signal that every wait of a server can watch: a pipe on POSIX; on Windows (WSAPoll
// polls sockets only) a connected loopback socket pair, plus an event for waits on overlapped I/O.
// Once raised it stays raised: pollable() is readable for good.
class Waker {
public:
    Waker() = default;
    ~Waker();
    Waker(const Waker&) = delete;
    Waker& operator=(const Waker&) = delete;

    Status open(); // INTERNAL when the OS refuses; call once before anything else
    void raise();  // idempotent, thread-safe, never blocks
    NativeSocket pollable() const { return m_read.native(); }
    bool raised() const { return m_raised.load(); }
    std::intptr_t event() const { return m_event; } // Windows: the HANDLE raise() sets; POSIX: -1

private:
    Socket m_read;
    Socket m_write;
    std::intptr_t m_event = -1;
    std::atomic<bool> m_raised{false};
};

// What one transfer call did.
enum class IoState {
    ok,          // `bytes` moved (> 0)
    would_block, // nothing moved: wait for readiness and call again
    closed,      // the peer closed (recv: an orderly end), the connection broke, or the file ended early
    timeout,     // Windows send_file only: the peer read nothing for `stall`
    stopped,     // Windows send_file only: the waker was raised
};
struct IoResult {
    IoState state = IoState::closed;
    std::size_t bytes = 0;
};

// One recv into `buffer` (retrying EINTR).
IoResult recv_some(const Socket& socket, std::span<char> buffer);

// One send of (a prefix of) `data`, never raising SIGPIPE (MSG_NOSIGNAL on Linux, SO_NOSIGPIPE on
// macOS). `more` (Linux MSG_MORE) holds a short head back until the body follows.
IoResult send_some(const Socket& socket, std::string_view data, bool more);

// Sends part of `length` bytes of `file` from `offset`, without copying through this process
// where the OS allows: Linux sendfile(2) (one call, SIGPIPE blocked in the calling thread); the
// POSIX fallback (macOS, TABAGENT_POSIX_FALLBACKS) a pread + send of one buffer; Windows an
// overlapped TransmitFile of at most 1 MiB, waited for up to `stall` or until `wake` is raised
// (ReadFile + send where TransmitFile is missing or refused). Call again with the rest after `ok`.
// A file shorter than the range is `closed`.
IoResult send_file(const Socket& socket, NativeFile file, std::uint64_t offset, std::uint64_t length,
                   const Waker& wake, std::chrono::milliseconds stall);

// How send_file moves bytes in this process right now: "sendfile", "pread+send", "TransmitFile" or
// "ReadFile+send" (Windows, after TransmitFile turned out missing or refused). For logs and tests.
std::string_view send_file_method();
// Makes send_file copy (pread + send, ReadFile + send) even where sendfile / TransmitFile work, or
// go back to them: what Windows does by itself once TransmitFile is refused. For tests of that path.
void set_send_file_copies(bool copy_only);

// A regular file opened read-only for send_file, with its size at opening.
// TODO(seam-fs): replace by platform/file.hpp's File once both land (FileToSend{File, size}).
class FileToSend {
public:
    FileToSend() = default;
    FileToSend(NativeFile file, std::uint64_t size) : m_file(file), m_size(size) {}
    ~FileToSend() { reset(); }
    FileToSend(FileToSend&& o) noexcept : m_file(o.m_file), m_size(o.m_size) { o.m_file = k_no_file; }
    FileToSend& operator=(FileToSend&& o) noexcept {
        if (this != &o) {
            reset();
            m_file = o.m_file;
            m_size = o.m_size;
            o.m_file = k_no_file;
        }
        return *this;
    }
    FileToSend(const FileToSend&) = delete;
    FileToSend& operator=(const FileToSend&) = delete;

    NativeFile native() const { return m_file; }
    std::uint64_t size() const { return m_size; }
    explicit operator bool() const { return m_file != k_no_file; }
    void reset();

private:
    NativeFile m_file = k_no_file;
    std::uint64_t m_size = 0;
};

// Opens `path` for sending: read-only, never through a link at its last component (O_NOFOLLOW;
// on Windows a reparse point is refused), and only a regular file (NOT_FOUND otherwise, and when
// missing). Others may rename or delete it while it is open (FILE_SHARE_DELETE on Windows).
Result<FileToSend> open_file_to_send(const std::filesystem::path& path);

} // namespace tabagent::platform
