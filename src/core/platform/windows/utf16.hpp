#pragma once
// UTF-8 <-> UTF-16 and Windows' text for an error code: the one copy for the Windows side of the
// seam (its "W" functions take UTF-16; the rest of the project speaks UTF-8). Not a seam interface:
// only platform/windows/ includes this. Implemented in win.cpp. Invalid input is replaced (U+FFFD),
// never thrown.
#include "core/platform/windows/windows_h.hpp"

#include <string>
#include <string_view>

namespace tabagent::platform::win {

std::string to_utf8(std::wstring_view wide);
std::wstring to_utf16(std::string_view utf8);

// FormatMessageW's text for a Win32 error code, without the trailing line break and full stop;
// "Windows error <code>" when the system has none.
std::string error_text(DWORD code);
// The same followed by " (<code>)".
std::string error_text_with_code(DWORD code);

} // namespace tabagent::platform::win
