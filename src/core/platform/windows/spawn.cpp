// platform/spawn.hpp, Windows side: CreateProcessW with two anonymous pipes; a reader thread
// turns the blocking ReadFile into a wait with a deadline. Only the pipe ends (and a copy of
// stderr) are inherited, named in PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so a concurrently started
// child never keeps our pipes open.
#include "core/platform/spawn.hpp"

#include "core/platform/windows/utf16.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace tabagent::platform {
namespace {
using Clock = std::chrono::steady_clock;

class UniqueHandle {
public:
    UniqueHandle() = default;
    explicit UniqueHandle(HANDLE h) : m_h(h == INVALID_HANDLE_VALUE ? nullptr : h) {}
    UniqueHandle(const UniqueHandle&) = delete;
    UniqueHandle& operator=(const UniqueHandle&) = delete;
    ~UniqueHandle() { reset(); }
    HANDLE get() const { return m_h; }
    HANDLE* out() { return &m_h; }
    void reset() {
        if (m_h) ::CloseHandle(m_h);
        m_h = nullptr;
    }

private:
    HANDLE m_h = nullptr;
};

// One argument quoted so that CommandLineToArgvW (and the C runtime) gives it back unchanged.
void append_quoted(std::wstring& line, const std::wstring& arg) {
    if (!line.empty()) line += L' ';
    if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
        line += arg;
        return;
    }
    line += L'"';
    std::size_t backslashes = 0;
    for (wchar_t c : arg) {
        if (c == L'\\') {
            ++backslashes;
            continue;
        }
        line.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
        backslashes = 0;
        line += c;
    }
    line.append(backslashes * 2, L'\\');
    line += L'"';
}

struct Pipes {
    UniqueHandle child_in, parent_in, parent_out, child_out, child_err;
};

Status make_pipes(std::size_t input_size, Pipes& p) {
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    // Sized for the whole input, so writing it never waits for the child to read.
    if (!::CreatePipe(p.child_in.out(), p.parent_in.out(), &inherit, static_cast<DWORD>(input_size + 4096)) ||
        !::CreatePipe(p.parent_out.out(), p.child_out.out(), &inherit, 0))
        return fail(ErrorCode::internal, "CreatePipe: " + win::error_text_with_code(::GetLastError()));
    ::SetHandleInformation(p.parent_in.get(), HANDLE_FLAG_INHERIT, 0);
    ::SetHandleInformation(p.parent_out.get(), HANDLE_FLAG_INHERIT, 0);
    HANDLE err = ::GetStdHandle(STD_ERROR_HANDLE);
    if (err && err != INVALID_HANDLE_VALUE)
        ::DuplicateHandle(::GetCurrentProcess(), err, ::GetCurrentProcess(), p.child_err.out(), 0, TRUE,
                          DUPLICATE_SAME_ACCESS);
    if (!p.child_err.get())
        *p.child_err.out() = ::CreateFileW(L"NUL", GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                                           OPEN_EXISTING, 0, nullptr);
    if (p.child_err.get() == INVALID_HANDLE_VALUE) *p.child_err.out() = nullptr;
    return {};
}

Result<PROCESS_INFORMATION> start(const SpawnRequest& request, Pipes& pipes) {
    std::vector<HANDLE> inherited{pipes.child_in.get(), pipes.child_out.get()};
    if (pipes.child_err.get()) inherited.push_back(pipes.child_err.get());
    SIZE_T size = 0;
    ::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    std::vector<unsigned char> storage(size);
    auto* attributes = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage.data());
    if (!::InitializeProcThreadAttributeList(attributes, 1, 0, &size))
        return fail(ErrorCode::internal, "InitializeProcThreadAttributeList: " + win::error_text_with_code(::GetLastError()));
    ::UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited.data(),
                                inherited.size() * sizeof(HANDLE), nullptr, nullptr);
    STARTUPINFOEXW info{};
    info.StartupInfo.cb = sizeof(info);
    info.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    info.StartupInfo.hStdInput = pipes.child_in.get();
    info.StartupInfo.hStdOutput = pipes.child_out.get();
    info.StartupInfo.hStdError = pipes.child_err.get();
    info.lpAttributeList = attributes;
    std::wstring program = request.program.wstring();
    std::wstring line;
    append_quoted(line, program);
    for (const auto& a : request.args) append_quoted(line, win::to_utf16(a));
    PROCESS_INFORMATION process{};
    BOOL ok = ::CreateProcessW(program.c_str(), line.data(), nullptr, nullptr, TRUE,
                               EXTENDED_STARTUPINFO_PRESENT | CREATE_NO_WINDOW, nullptr, nullptr,
                               &info.StartupInfo, &process);
    DWORD error = ::GetLastError();
    ::DeleteProcThreadAttributeList(attributes);
    if (!ok) return fail(ErrorCode::internal, "cannot start: " + win::error_text_with_code(error));
    return process;
}

// stdout as it arrives, shared between the reader thread and the waiting caller.
struct Collected {
    std::mutex mutex;
    std::condition_variable changed;
    std::string output;
    bool eof = false;
};

void read_until_eof(HANDLE pipe, Collected& collected) {
    char buffer[16384];
    for (;;) {
        DWORD n = 0;
        BOOL ok = ::ReadFile(pipe, buffer, sizeof buffer, &n, nullptr);
        std::lock_guard lock(collected.mutex);
        if (!ok || n == 0) {
            collected.eof = true; // ERROR_BROKEN_PIPE: the child (and every copy of its end) is gone
            collected.changed.notify_all();
            return;
        }
        collected.output.append(buffer, n);
        collected.changed.notify_all();
    }
}
} // namespace

Result<SpawnOutcome> run_exchange(const SpawnRequest& request) {
    Pipes pipe_set;
    auto* pipes = &pipe_set;
    if (auto made = make_pipes(request.input.size(), pipe_set); !made) return tl::unexpected(made.error());
    auto started = start(request, pipe_set);
    if (!started) return tl::unexpected(started.error());
    UniqueHandle process(started->hProcess), thread(started->hThread);
    pipes->child_in.reset(); // only the child holds these now: its exit means EOF for us
    pipes->child_out.reset();
    pipes->child_err.reset();
    const auto deadline = Clock::now() + request.timeout;
    DWORD written = 0;
    if (!request.input.empty())
        ::WriteFile(pipes->parent_in.get(), request.input.data(), static_cast<DWORD>(request.input.size()), &written,
                    nullptr);
    if (!request.complete) pipes->parent_in.reset(); // read to EOF: the child may wait for ours first
    Collected collected;
    std::jthread reader([&] { read_until_eof(pipes->parent_out.get(), collected); });
    SpawnOutcome outcome;
    {
        std::unique_lock lock(collected.mutex);
        bool done = collected.changed.wait_until(lock, deadline, [&] {
            return collected.eof || (request.complete && request.complete(collected.output));
        });
        outcome.timed_out = !done;
    }
    pipes->parent_in.reset(); // EOF on the child's stdin: a native-messaging host exits
    const auto grace = std::min<std::chrono::milliseconds>(request.timeout, std::chrono::seconds(2));
    if (outcome.timed_out || ::WaitForSingleObject(process.get(), static_cast<DWORD>(grace.count())) != WAIT_OBJECT_0) {
        ::TerminateProcess(process.get(), 1);
        ::WaitForSingleObject(process.get(), INFINITE);
    }
    reader.join(); // the child is gone, so ReadFile has returned
    std::lock_guard lock(collected.mutex);
    outcome.output = std::move(collected.output);
    return outcome;
}

bool is_executable(const std::filesystem::path& path) {
    DWORD attributes = ::GetFileAttributesW(path.wstring().c_str());
    return attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
}

} // namespace tabagent::platform
