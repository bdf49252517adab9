// platform/registry.hpp, Windows side: HKEY_CURRENT_USER only, so no admin rights are needed
// (Chrome reads HKCU before HKLM: chrome/browser/extensions/api/messaging/
// native_process_launcher_win.cc, FindManifest).
#include "core/platform/registry.hpp"

#include "core/platform/windows/utf16.hpp"

namespace tabagent::platform {
namespace {

class UniqueKey {
public:
    UniqueKey() = default;
    UniqueKey(const UniqueKey&) = delete;
    UniqueKey& operator=(const UniqueKey&) = delete;
    ~UniqueKey() {
        if (m_key) ::RegCloseKey(m_key);
    }
    HKEY* out() { return &m_key; }
    HKEY get() const { return m_key; }

private:
    HKEY m_key = nullptr;
};

tl::unexpected<Error> registry_error(const char* call, std::string_view key, LSTATUS status) {
    return fail(ErrorCode::internal,
                std::string(call) + " HKCU\\" + std::string(key) + ": " + win::error_text_with_code(static_cast<DWORD>(status)));
}

} // namespace

Status set_user_default_value(std::string_view key, std::string_view value) {
    UniqueKey handle;
    std::wstring wkey = win::to_utf16(key);
    LSTATUS rc = ::RegCreateKeyExW(HKEY_CURRENT_USER, wkey.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                   KEY_SET_VALUE, nullptr, handle.out(), nullptr);
    if (rc != ERROR_SUCCESS) return registry_error("RegCreateKeyExW", key, rc);
    std::wstring wvalue = win::to_utf16(value);
    const auto bytes = static_cast<DWORD>((wvalue.size() + 1) * sizeof(wchar_t)); // with the NUL
    rc = ::RegSetValueExW(handle.get(), nullptr, 0, REG_SZ, reinterpret_cast<const BYTE*>(wvalue.c_str()), bytes);
    if (rc != ERROR_SUCCESS) return registry_error("RegSetValueExW", key, rc);
    return {};
}

Result<std::optional<std::string>> get_user_default_value(std::string_view key) {
    std::wstring wkey = win::to_utf16(key);
    DWORD bytes = 0;
    LSTATUS rc = ::RegGetValueW(HKEY_CURRENT_USER, wkey.c_str(), nullptr, RRF_RT_REG_SZ, nullptr, nullptr, &bytes);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return std::optional<std::string>{};
    if (rc != ERROR_SUCCESS) return registry_error("RegGetValueW", key, rc);
    std::wstring buffer(bytes / sizeof(wchar_t) + 1, L'\0');
    bytes = static_cast<DWORD>(buffer.size() * sizeof(wchar_t));
    rc = ::RegGetValueW(HKEY_CURRENT_USER, wkey.c_str(), nullptr, RRF_RT_REG_SZ, nullptr, buffer.data(), &bytes);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return std::optional<std::string>{};
    if (rc != ERROR_SUCCESS) return registry_error("RegGetValueW", key, rc);
    buffer.resize(wcsnlen(buffer.c_str(), buffer.size())); // RegGetValueW counts the NUL
    return std::optional<std::string>(win::to_utf8(buffer));
}

Status delete_user_key(std::string_view key) {
    std::wstring wkey = win::to_utf16(key);
    LSTATUS rc = ::RegDeleteTreeW(HKEY_CURRENT_USER, wkey.c_str());
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) return {};
    if (rc != ERROR_SUCCESS) return registry_error("RegDeleteTreeW", key, rc);
    // RegDeleteTreeW empties the key; the key itself goes with RegDeleteKeyW.
    rc = ::RegDeleteKeyW(HKEY_CURRENT_USER, wkey.c_str());
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) return registry_error("RegDeleteKeyW", key, rc);
    return {};
}

} // namespace tabagent::platform
