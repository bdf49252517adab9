#include "core/platform/windows/winsock.hpp"

#include <string>

namespace tabagent::platform::windows {
namespace {

std::string message_of(DWORD err) {
    wchar_t* text = nullptr;
    DWORD n = ::FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                               nullptr, err, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
    std::string out;
    if (n > 0 && text != nullptr) {
        int size = ::WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(n), nullptr, 0, nullptr, nullptr);
        out.resize(static_cast<std::size_t>(size > 0 ? size : 0));
        if (size > 0) ::WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(n), out.data(), size, nullptr, nullptr);
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
    }
    if (text != nullptr) ::LocalFree(text);
    return out + " (" + std::to_string(err) + ")";
}

} // namespace

Status start_winsock() {
    static const int result = [] {
        WSADATA data{};
        return ::WSAStartup(MAKEWORD(2, 2), &data);
    }();
    if (result != 0) return tl::unexpected(wsa_error(ErrorCode::internal, "WSAStartup", result));
    return {};
}

Error wsa_error(ErrorCode code, const char* what, int err) {
    return Error{code, std::string(what) + ": " + message_of(static_cast<DWORD>(err)), {}};
}

Error last_error(ErrorCode code, const char* what, DWORD err) {
    return Error{code, std::string(what) + ": " + message_of(err), {}};
}

} // namespace tabagent::platform::windows
