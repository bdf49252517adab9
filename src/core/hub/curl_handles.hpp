#pragma once
// Move-only owners for libcurl's C handles (the cpr pattern): a handle is released exactly once,
// whichever way the scope is left. libcurl itself is loaded on first use (curl_library.hpp).
#include "core/hub/curl_library.hpp"

#include <memory>

namespace tabagent::hub {

struct CurlEasyDeleter {
    void operator()(CURL* handle) const noexcept { curl().easy_cleanup(handle); }
};
struct CurlMultiDeleter {
    void operator()(CURLM* handle) const noexcept { curl().multi_cleanup(handle); }
};
struct CurlSlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl().slist_free_all(list); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Appends one header line; keeps the list intact (and returns false) when curl cannot allocate.
inline bool slist_append(CurlSlist& list, const char* line) {
    // curl_slist_append returns the same head for a non-empty list, a new one for an empty list.
    curl_slist* head = curl().slist_append(list.get(), line);
    if (!head) return false;
    if (head != list.get()) list.reset(head);
    return true;
}

} // namespace tabagent::hub
