#pragma once
// The Windows registry, only as much as native-messaging registration needs: the default
// (unnamed) string value of a key under HKEY_CURRENT_USER. Keys are given without the hive, e.g.
// "Software\\Google\\Chrome\\NativeMessagingHosts\\com.tabagent.host"; strings are UTF-8 here and
// UTF-16 in the registry. On POSIX every function fails with "no registry on this platform"
// (callers only reach them on Windows).
#include "core/error.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tabagent::platform {

// Creates the key (and its parents) when missing and sets its default value (REG_SZ).
Status set_user_default_value(std::string_view key, std::string_view value);
// The key's default value; nullopt when the key or the value does not exist.
Result<std::optional<std::string>> get_user_default_value(std::string_view key);
// Deletes the key with its subkeys and values; succeeds when it does not exist.
Status delete_user_key(std::string_view key);

} // namespace tabagent::platform
