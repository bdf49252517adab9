#pragma once
// libcurl, loaded on first network use instead of at start. Linked normally, libcurl and its
// dependency tree (OpenSSL, GnuTLS via librtmp, Kerberos, LDAP, libssh2, nghttp2, ~30 libraries)
// cost ~9 ms of dynamic loading before main() on every start; the host must answer its first
// handshake within 5 ms, and most starts never touch the network.
//
// On Windows the static libcurl (Schannel) is linked in instead and the table holds its functions
// (curl_binding.hpp; CMake's TABAGENT_CURL_LINKED picks). The headers come from <curl/curl.h>;
// the functions are called through this table:
//     const auto& curl = hub::curl();
//     curl.easy_setopt(handle, CURLOPT_URL, url);
#include "core/error.hpp"

#include <curl/curl.h>

namespace tabagent::hub {

// One entry per libcurl function the core uses (curl_<name>), with libcurl's own signature.
#define TABAGENT_CURL_FUNCTIONS(X)                                                                        \
    X(global_init) X(global_cleanup) X(easy_init) X(easy_cleanup) X(easy_reset) X(easy_setopt)           \
    X(easy_getinfo) X(easy_perform) X(easy_pause) X(easy_strerror) X(multi_init) X(multi_cleanup)        \
    X(multi_setopt) X(multi_add_handle) X(multi_remove_handle) X(multi_perform) X(multi_poll)            \
    X(multi_wakeup) X(multi_info_read) X(slist_append) X(slist_free_all)

struct CurlApi {
#define TABAGENT_CURL_POINTER(fn) decltype(&::curl_##fn) fn = nullptr;
    TABAGENT_CURL_FUNCTIONS(TABAGENT_CURL_POINTER)
#undef TABAGENT_CURL_POINTER
};

// Binds libcurl (curl_binding.hpp) and runs curl_global_init, once per process (thread-safe); later calls return
// the same table or the same error. INTERNAL when the library or one of its functions is missing.
Result<const CurlApi*> load_curl();

// The table, loading it if needed, for code that already holds a libcurl handle (or is about to
// create its first one where a failure cannot be reported). A libcurl that cannot be loaded at
// that point is fatal: the message goes to the log and stderr, then the process aborts.
const CurlApi& curl();

// Held by main(): runs curl_global_cleanup at the end of the program if libcurl was loaded.
class CurlSession {
public:
    CurlSession() = default;
    ~CurlSession();
    CurlSession(const CurlSession&) = delete;
    CurlSession& operator=(const CurlSession&) = delete;
};

} // namespace tabagent::hub
