#pragma once
// Standard streams, terminals, pipes and Ctrl-C (platform/README.md). Streams are named by C
// runtime descriptors (0, 1, 2, and the ends of open_pipe) on both sides; on Windows the I/O
// below goes to the OS handle behind the descriptor (ReadFile/WriteFile), never through the C
// runtime's text mode. posix/ and windows/ implement it.
#include "core/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace tabagent::platform {

inline constexpr int k_stdin = 0;
inline constexpr int k_stdout = 1;
inline constexpr int k_stderr = 2;

// The descriptor under a C stream (fileno).
int descriptor_of(std::FILE* stream);

// Whether `fd` is an interactive terminal (isatty; on Windows a console: GetConsoleMode, since
// _isatty also says yes for NUL and serial ports).
bool is_terminal(int fd);
// The terminal's width in columns; nullopt when `fd` is not a terminal or does not say.
std::optional<int> terminal_width(int fd);
// Makes the terminal behind `fd` interpret VT/ANSI escape sequences (cursor up, erase line) and
// says whether it does: a POSIX terminal always; a Windows console when
// ENABLE_VIRTUAL_TERMINAL_PROCESSING can be set (Windows 10 1511 on). False when not a terminal.
bool enable_vt_sequences(int fd);

// Puts `fd` in binary mode: on Windows the C runtime would otherwise turn "\n" into "\r\n" on
// output and drop "\r" and stop at ^Z on input, corrupting native-messaging frames. A no-op on
// POSIX.
void set_binary_mode(int fd);

// Asks for a pipe buffer of at least `bytes` behind `fd` (Linux F_SETPIPE_SZ, capped by
// /proc/sys/fs/pipe-max-size): the buffer it got, or nullopt when `fd` is no pipe or the OS has no
// such knob (macOS, Windows: there the pipe's creator decides). With the default 64 KiB a 1 MB
// frame to the browser, which reads 4 KiB at a time, costs hundreds of writer wake-ups.
std::optional<std::size_t> grow_pipe_buffer(int fd, std::size_t bytes);

// Reads what is available, up to out.size() bytes (blocking until at least one arrives):
// 0 at the end of the stream (a closed pipe included). INTERNAL on an I/O error. EINTR retried.
Result<std::size_t> read_some(int fd, std::span<char> out);
// Writes all of `data` (loops over short writes). INTERNAL on an error (a closed pipe included).
Status write_all(int fd, std::string_view data);
// Waits up to `timeout` for `fd` to become readable (data, or the end of the stream): true when
// it did. Pipes on Windows cannot be waited on, so they are polled there (every 10 ms).
bool wait_readable(int fd, std::chrono::milliseconds timeout);

// An owned descriptor: closed by the destructor.
class Descriptor {
public:
    Descriptor() = default;
    explicit Descriptor(int fd) : m_fd(fd) {}
    ~Descriptor() { reset(); }
    Descriptor(Descriptor&& other) noexcept : m_fd(other.release()) {}
    Descriptor& operator=(Descriptor&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;

    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }
    int release() {
        int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    void reset(int fd = -1);

private:
    int m_fd = -1;
};

// An anonymous pipe whose ends child processes do not inherit (O_CLOEXEC, _O_NOINHERIT), in
// binary mode. INTERNAL when the OS refuses.
struct Pipe {
    Descriptor read_end;
    Descriptor write_end;
};
Result<Pipe> open_pipe();

// Ctrl-C (POSIX: SIGINT and SIGTERM; Windows: CTRL_C_EVENT and CTRL_BREAK_EVENT through
// SetConsoleCtrlHandler) delivered to a waiting thread instead of ending the process. The
// handler only records the event and wakes the waiter (a byte into a self-pipe on POSIX, which
// is async-signal-safe; an event object on Windows). One watch per process at a time; the
// destructor restores the default action.
class InterruptWatch {
public:
    // Installs the handler. INTERNAL when it cannot (Ctrl-C then keeps its default action).
    static Result<std::unique_ptr<InterruptWatch>> start();
    ~InterruptWatch();
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

    // Blocks until an interrupt arrives (true) or wake() is called (false).
    bool wait();
    // Ends the current or next wait() with false; callable from any thread.
    void wake();
    // From now on Ctrl-C has its default action again (ends the process at once).
    void restore_default();

    struct State; // per platform

private:
    explicit InterruptWatch(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

} // namespace tabagent::platform
