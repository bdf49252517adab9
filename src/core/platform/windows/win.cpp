// Helpers of the Windows side (win.hpp, utf16.hpp): path forms, UTF-8/UTF-16, error texts, FILETIME.
#include "core/platform/windows/win.hpp"

namespace tabagent::platform::win {
namespace fs = std::filesystem;

std::wstring long_path(const fs::path& path) {
    const std::wstring& native = path.native();
    if (native.rfind(L"\\\\?\\", 0) == 0 || native.rfind(L"\\\\.\\", 0) == 0) return native;
    std::error_code ec;
    fs::path absolute = path.is_absolute() ? path : fs::absolute(path, ec);
    if (ec || !absolute.is_absolute()) return native; // leave it to Win32 as given
    absolute = absolute.lexically_normal();
    absolute.make_preferred();
    std::wstring text = absolute.native();
    if (text.rfind(L"\\\\", 0) == 0) return L"\\\\?\\UNC\\" + text.substr(2); // \\server\share\...
    return L"\\\\?\\" + text;
}

std::string to_utf8(std::wstring_view wide) {
    if (wide.empty()) return {};
    const int size = static_cast<int>(wide.size());
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), size, nullptr, 0, nullptr, nullptr);
    std::string out(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
    if (n > 0) ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), size, out.data(), n, nullptr, nullptr);
    return out;
}

std::wstring to_utf16(std::string_view utf8) {
    if (utf8.empty()) return {};
    const int size = static_cast<int>(utf8.size());
    const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), size, nullptr, 0);
    std::wstring out(static_cast<std::size_t>(n > 0 ? n : 0), L'\0');
    if (n > 0) ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), size, out.data(), n);
    return out;
}

std::string error_text(DWORD code) {
    wchar_t* buffer = nullptr;
    const DWORD n = ::FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                         FORMAT_MESSAGE_IGNORE_INSERTS,
                                     nullptr, code, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
    std::string text = n && buffer ? to_utf8(std::wstring_view(buffer, n)) : std::string();
    if (buffer) ::LocalFree(buffer);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '.'))
        text.pop_back();
    if (text.empty()) text = "Windows error " + std::to_string(code);
    return text;
}

std::string error_text_with_code(DWORD code) { return error_text(code) + " (" + std::to_string(code) + ")"; }

// FILETIME: 100 ns ticks since 1601-01-01; the system clock: since 1970-01-01.
constexpr std::int64_t k_ticks_1601_to_1970 = 116444736000000000LL;

TimePoint to_time_point(const FILETIME& ft) {
    const std::int64_t ticks =
        static_cast<std::int64_t>((static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime);
    const std::chrono::nanoseconds since_1970((ticks - k_ticks_1601_to_1970) * 100);
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(since_1970));
}

FILETIME to_filetime(TimePoint t) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    const auto ticks = static_cast<std::uint64_t>(ns / 100 + k_ticks_1601_to_1970);
    FILETIME ft{};
    ft.dwLowDateTime = static_cast<DWORD>(ticks & 0xffffffffu);
    ft.dwHighDateTime = static_cast<DWORD>(ticks >> 32);
    return ft;
}

} // namespace tabagent::platform::win
