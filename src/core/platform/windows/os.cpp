// platform/os.hpp, Windows side.
#include "core/platform/os.hpp"

#include "core/platform/windows/utf16.hpp"

#include <vector>

namespace tabagent::platform {

Os os_kind() noexcept { return Os::windows; }

Result<std::filesystem::path> current_executable() {
    // GetModuleFileNameW truncates silently: grow until the whole path fits (long paths too).
    std::vector<wchar_t> buffer(MAX_PATH);
    for (;;) {
        DWORD n = ::GetModuleFileNameW(nullptr, buffer.data(), static_cast<DWORD>(buffer.size()));
        if (n == 0) return fail(ErrorCode::internal, "GetModuleFileNameW: " + win::error_text_with_code(::GetLastError()));
        if (n < buffer.size()) return std::filesystem::path(std::wstring(buffer.data(), n));
        if (buffer.size() >= 32768) return fail(ErrorCode::internal, "the program's path is too long");
        buffer.resize(buffer.size() * 2);
    }
}

} // namespace tabagent::platform
