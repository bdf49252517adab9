// platform/console.hpp on Windows. Descriptors are the C runtime's; every read and write goes to
// the OS handle behind one (_get_osfhandle) with ReadFile/WriteFile, so the C runtime's text
// mode never sees the bytes.
#include "core/platform/console.hpp"

#include "core/platform/windows/utf16.hpp"

#include "core/platform/windows/windows_h.hpp"
#include <fcntl.h>
#include <io.h>

#include <algorithm>
#include <string>

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004 // consoleapi.h of newer SDKs
#endif

namespace tabagent::platform {
namespace {
HANDLE os_handle(int fd) {
    if (fd < 0) return INVALID_HANDLE_VALUE;
    return reinterpret_cast<HANDLE>(::_get_osfhandle(fd));
}

Error io_error(const char* what, DWORD code) {
    return Error{ErrorCode::internal, std::string(what) + " failed: " + win::error_text(code), {}};
}
} // namespace

int descriptor_of(std::FILE* stream) { return ::_fileno(stream); }

bool is_terminal(int fd) {
    DWORD mode = 0;
    return ::GetConsoleMode(os_handle(fd), &mode) != 0;
}

std::optional<int> terminal_width(int fd) {
    CONSOLE_SCREEN_BUFFER_INFO info{};
    if (!::GetConsoleScreenBufferInfo(os_handle(fd), &info)) return std::nullopt;
    const int width = info.srWindow.Right - info.srWindow.Left + 1;
    if (width <= 0) return std::nullopt;
    return width;
}

bool enable_vt_sequences(int fd) {
    // MSDN, "Console Virtual Terminal Sequences": set ENABLE_VIRTUAL_TERMINAL_PROCESSING on the
    // output handle; consoles older than Windows 10 refuse it, and then get plain lines.
    const HANDLE handle = os_handle(fd);
    DWORD mode = 0;
    if (!::GetConsoleMode(handle, &mode)) return false;
    if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) return true;
    return ::SetConsoleMode(handle, mode | ENABLE_PROCESSED_OUTPUT | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

void set_binary_mode(int fd) { ::_setmode(fd, _O_BINARY); }

std::optional<std::size_t> grow_pipe_buffer(int, std::size_t) { return std::nullopt; } // the creator's choice

Result<std::size_t> read_some(int fd, std::span<char> out) {
    const HANDLE handle = os_handle(fd);
    if (handle == INVALID_HANDLE_VALUE) return tl::unexpected(io_error("read", ERROR_INVALID_HANDLE));
    DWORD got = 0;
    const DWORD want = static_cast<DWORD>(std::min<std::size_t>(out.size(), 1u << 30));
    if (::ReadFile(handle, out.data(), want, &got, nullptr)) return static_cast<std::size_t>(got);
    const DWORD error = ::GetLastError();
    // The writer closed its end of the pipe: the end of the stream, as read(2) returning 0.
    if (error == ERROR_BROKEN_PIPE || error == ERROR_HANDLE_EOF) return std::size_t{0};
    return tl::unexpected(io_error("read", error));
}

Status write_all(int fd, std::string_view data) {
    const HANDLE handle = os_handle(fd);
    if (handle == INVALID_HANDLE_VALUE) return tl::unexpected(io_error("write", ERROR_INVALID_HANDLE));
    while (!data.empty()) {
        DWORD wrote = 0;
        const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size(), 1u << 20));
        if (!::WriteFile(handle, data.data(), chunk, &wrote, nullptr)) return tl::unexpected(io_error("write", ::GetLastError()));
        data.remove_prefix(wrote);
    }
    return {};
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    const HANDLE handle = os_handle(fd);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    switch (::GetFileType(handle)) {
    case FILE_TYPE_PIPE:
        // Anonymous pipes have no waitable state: PeekNamedPipe says what is buffered, and fails
        // once the writer is gone (then a read returns the end of the stream: readable).
        while (true) {
            DWORD available = 0;
            if (!::PeekNamedPipe(handle, nullptr, 0, nullptr, &available, nullptr) || available > 0) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            ::Sleep(10);
        }
    case FILE_TYPE_CHAR: {
        const auto ms = std::clamp<long long>(timeout.count(), 0, 0x7ffffffe);
        return ::WaitForSingleObject(handle, static_cast<DWORD>(ms)) == WAIT_OBJECT_0;
    }
    default: return true; // a file: always readable
    }
}

void Descriptor::reset(int fd) {
    if (m_fd >= 0) ::_close(m_fd);
    m_fd = fd;
}

Result<Pipe> open_pipe() {
    int fds[2] = {-1, -1};
    if (::_pipe(fds, 64 * 1024, _O_BINARY | _O_NOINHERIT) != 0)
        return fail(ErrorCode::internal, "cannot create a pipe");
    return Pipe{Descriptor(fds[0]), Descriptor(fds[1])};
}

} // namespace tabagent::platform
