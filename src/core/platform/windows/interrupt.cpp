// platform::InterruptWatch on Windows. Ctrl-C and Ctrl-Break reach a console process as a call
// of its handler routine on a new thread (MSDN, "HandlerRoutine callback function"); returning
// TRUE keeps the default handler (ExitProcess) from running. The handler records the event and
// sets an event object that wait() blocks on.
#include "core/platform/console.hpp"

#include "core/platform/windows/windows_h.hpp"

#include <atomic>

namespace tabagent::platform {

struct InterruptWatch::State {
    HANDLE event = nullptr; // auto-reset
    std::atomic<bool> interrupted{false};
    std::atomic<bool> woken{false};
    std::atomic<bool> installed{false};
};

namespace {
std::atomic<InterruptWatch::State*> g_state{nullptr};

BOOL WINAPI on_control(DWORD type) {
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT) return FALSE; // close, logoff: default
    InterruptWatch::State* state = g_state.load();
    if (!state) return FALSE;
    state->interrupted.store(true);
    ::SetEvent(state->event);
    return TRUE;
}
} // namespace

InterruptWatch::InterruptWatch(std::unique_ptr<State> state) : m_state(std::move(state)) {}

Result<std::unique_ptr<InterruptWatch>> InterruptWatch::start() {
    auto state = std::make_unique<State>();
    state->event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
    if (!state->event) return fail(ErrorCode::internal, "cannot create an event for Ctrl-C");
    g_state.store(state.get());
    if (!::SetConsoleCtrlHandler(on_control, TRUE)) {
        g_state.store(nullptr);
        ::CloseHandle(state->event);
        return fail(ErrorCode::internal, "cannot install a Ctrl-C handler");
    }
    state->installed.store(true);
    return std::unique_ptr<InterruptWatch>(new InterruptWatch(std::move(state)));
}

InterruptWatch::~InterruptWatch() {
    restore_default();
    g_state.store(nullptr);
    ::CloseHandle(m_state->event);
}

bool InterruptWatch::wait() {
    while (true) {
        if (m_state->woken.exchange(false)) return false;
        if (m_state->interrupted.exchange(false)) return true;
        ::WaitForSingleObject(m_state->event, INFINITE);
    }
}

void InterruptWatch::wake() {
    m_state->woken.store(true);
    ::SetEvent(m_state->event);
}

void InterruptWatch::restore_default() {
    if (m_state->installed.exchange(false)) ::SetConsoleCtrlHandler(on_control, FALSE);
}

} // namespace tabagent::platform
