#pragma once
// How the core reaches libcurl's functions: CMake compiles exactly one of
//   curl_binding_loaded.cpp  (Linux, macOS): dlopen on first use, see curl_library.hpp;
//   curl_binding_linked.cpp  (Windows): the static libcurl of the deps prefix is linked in, and
//                            the table holds its functions' addresses (nothing to load: no
//                            dynamic loader cost, and no libcurl DLL to ship beside the .exe).
// Internal to curl_library.cpp.
#include "core/hub/curl_library.hpp"

#include <string>

namespace tabagent::hub::detail {

// Fills every entry of `api`. INTERNAL when libcurl or one of its functions is missing; `name`
// says which library was bound, for the log.
Status bind_curl(CurlApi& api, std::string& name);

} // namespace tabagent::hub::detail
