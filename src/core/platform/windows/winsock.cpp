#include "core/platform/windows/winsock.hpp"

#include "core/platform/windows/utf16.hpp"

#include <string>

namespace tabagent::platform::windows {

Status start_winsock() {
    static const int result = [] {
        WSADATA data{};
        return ::WSAStartup(MAKEWORD(2, 2), &data);
    }();
    if (result != 0) return tl::unexpected(wsa_error(ErrorCode::internal, "WSAStartup", result));
    return {};
}

Error wsa_error(ErrorCode code, const char* what, int err) {
    return Error{code, std::string(what) + ": " + win::error_text_with_code(static_cast<DWORD>(err)), {}};
}

Error last_error(ErrorCode code, const char* what, DWORD err) {
    return Error{code, std::string(what) + ": " + win::error_text_with_code(err), {}};
}

} // namespace tabagent::platform::windows
