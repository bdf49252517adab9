// platform/net.hpp's file half on Windows: open a blob for sending, and send a range of it with
// TransmitFile (the file goes from the cache manager to the socket without passing through this
// process), or ReadFile + send where TransmitFile is missing or refused.
#include "core/platform/net.hpp"
#include "core/platform/windows/winsock.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <string>

namespace tabagent::platform {
namespace {

// One TransmitFile call sends at most this much, so that `stall` (the longest a reader may read
// nothing) also bounds one call: a reader slower than 1 MiB per stall is dropped, as on Linux one
// that reads nothing for a stall is.
constexpr DWORD k_transmit_step = 1 << 20;
constexpr std::size_t k_copy_step = 64 * 1024;

// Where TransmitFile turned out to be missing or refused (WSAEOPNOTSUPP: a layered provider, or a
// Wine without it), every later call copies instead; said once in the log.
std::atomic<bool> g_copy_only{false};

void use_copy_from_now_on(const std::string& why) {
    if (!g_copy_only.exchange(true))
        spdlog::default_logger()->warn("file sends use ReadFile + send from now on: {}", why);
}

// TransmitFile is a Microsoft extension: its address comes from the provider (MSDN: "the function
// pointer must be obtained at run time by making a call to WSAIoctl with
// SIO_GET_EXTENSION_FUNCTION_POINTER"), so nothing links mswsock.dll.
LPFN_TRANSMITFILE transmit_file_of(SOCKET s) {
    static std::atomic<LPFN_TRANSMITFILE> cached{nullptr};
    if (auto fn = cached.load()) return fn;
    GUID id = WSAID_TRANSMITFILE;
    LPFN_TRANSMITFILE fn = nullptr;
    DWORD got = 0;
    if (::WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof id, &fn, sizeof fn, &got, nullptr, nullptr) != 0 ||
        fn == nullptr) {
        use_copy_from_now_on(windows::wsa_error(ErrorCode::internal, "no TransmitFile").message);
        return nullptr;
    }
    cached.store(fn);
    return fn;
}

struct Event {
    HANDLE handle = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    ~Event() {
        if (handle != nullptr) ::CloseHandle(handle);
    }
};

OVERLAPPED at(std::uint64_t offset, HANDLE event) {
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(offset);
    ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
    ov.hEvent = event;
    return ov;
}

// One overlapped TransmitFile from `offset`, waited for until it completes, `stall` passes or the
// waker is raised (then it is cancelled, and waited for again: `ov` must outlive the I/O).
IoResult transmit(LPFN_TRANSMITFILE fn, SOCKET s, HANDLE file, std::uint64_t offset, DWORD count,
                  const Waker& wake, std::chrono::milliseconds stall) {
    Event done;
    if (done.handle == nullptr) return {IoState::closed, 0};
    OVERLAPPED ov = at(offset, done.handle);
    if (!fn(s, file, count, 0, &ov, nullptr, 0)) {
        const int err = ::WSAGetLastError();
        if (err == WSAEOPNOTSUPP) {
            use_copy_from_now_on(windows::wsa_error(ErrorCode::internal, "TransmitFile", err).message);
            return {IoState::would_block, 0}; // the caller waits for writability, then copies
        }
        if (err != WSA_IO_PENDING) return {IoState::closed, 0};
    }
    HANDLE waits[2] = {done.handle, reinterpret_cast<HANDLE>(wake.event())};
    const DWORD n = wake.event() != -1 ? 2 : 1;
    const auto ms = static_cast<DWORD>(std::clamp<long long>(stall.count(), 0, INFINITE - 1));
    const DWORD w = ::WaitForMultipleObjects(n, waits, FALSE, ms);
    DWORD sent = 0, flags = 0;
    if (w != WAIT_OBJECT_0) {
        ::CancelIoEx(reinterpret_cast<HANDLE>(s), &ov);
        ::WSAGetOverlappedResult(s, &ov, &sent, TRUE, &flags);
        return {w == WAIT_OBJECT_0 + 1 ? IoState::stopped : IoState::timeout, 0};
    }
    if (!::WSAGetOverlappedResult(s, &ov, &sent, FALSE, &flags) || sent == 0) return {IoState::closed, 0};
    return {IoState::ok, sent}; // fewer than `count`: the file ended; the next call sees 0 and says closed
}

// ReadFile at `offset` (an OVERLAPPED carries it, even on a synchronous handle) + one send.
IoResult copy(const Socket& socket, HANDLE file, std::uint64_t offset, std::uint64_t length) {
    thread_local std::string buffer(k_copy_step, '\0');
    OVERLAPPED ov = at(offset, nullptr);
    DWORD got = 0;
    const auto want = static_cast<DWORD>(std::min<std::uint64_t>(length, k_copy_step));
    if (!::ReadFile(file, buffer.data(), want, &got, &ov) || got == 0) return {IoState::closed, 0}; // EOF: it shrank
    return send_some(socket, std::string_view(buffer.data(), got), false);
}

// path.string() would convert through the ANSI code page (and throw on what it cannot hold).
std::string utf8(const std::filesystem::path& path) {
    auto u8 = path.u8string();
    return std::string(u8.begin(), u8.end());
}

} // namespace

IoResult send_file(const Socket& socket, NativeFile file, std::uint64_t offset, std::uint64_t length,
                   const Waker& wake, std::chrono::milliseconds stall) {
    if (length == 0) return {IoState::ok, 0};
    const auto s = static_cast<SOCKET>(socket.native());
    const auto h = reinterpret_cast<HANDLE>(file);
    if (!g_copy_only.load()) {
        if (auto fn = transmit_file_of(s)) {
            const auto count = static_cast<DWORD>(std::min<std::uint64_t>(length, k_transmit_step));
            return transmit(fn, s, h, offset, count, wake, stall);
        }
    }
    return copy(socket, h, offset, length);
}

std::string_view send_file_method() { return g_copy_only.load() ? "ReadFile+send" : "TransmitFile"; }

void set_send_file_copies(bool copy_only) { g_copy_only.store(copy_only); }

void FileToSend::reset() {
    if (m_file != k_no_file) ::CloseHandle(reinterpret_cast<HANDLE>(m_file));
    m_file = k_no_file;
    m_size = 0;
}

Result<FileToSend> open_file_to_send(const std::filesystem::path& path) {
    // Share everything: the cache may rename or delete the blob while it is being sent, as on POSIX.
    // FILE_FLAG_OPEN_REPARSE_POINT opens a link itself (then refused below), never its target.
    // TODO(seam-fs): long paths (\\?\) as platform/file.hpp does them.
    HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                             nullptr, OPEN_EXISTING,
                             FILE_ATTRIBUTE_NORMAL | FILE_FLAG_SEQUENTIAL_SCAN | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        const DWORD err = ::GetLastError();
        // A folder cannot be opened without FILE_FLAG_BACKUP_SEMANTICS: ACCESS_DENIED, and not a file.
        const DWORD attributes = err == ERROR_ACCESS_DENIED ? ::GetFileAttributesW(path.c_str()) : INVALID_FILE_ATTRIBUTES;
        const bool folder = attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
        const bool missing = err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND || folder;
        Error e = windows::last_error(missing ? ErrorCode::not_found : ErrorCode::internal, "CreateFileW", err);
        e.message = "cannot open " + utf8(path) + ": " + e.message;
        return tl::unexpected(e);
    }
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(h, &info) || ::GetFileType(h) != FILE_TYPE_DISK ||
        (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) != 0) {
        ::CloseHandle(h);
        return fail(ErrorCode::not_found, "not a regular file: " + utf8(path));
    }
    const std::uint64_t size = (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
    return FileToSend(reinterpret_cast<NativeFile>(h), size);
}

} // namespace tabagent::platform
