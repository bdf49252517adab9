#pragma once
// Move-only owners for libcurl's C handles (the cpr pattern): a handle is released exactly once,
// whichever way the scope is left. libcurl itself is loaded on first use (curl_library.hpp).
// A deleter releases through the function table it was given (the download engine's, which
// tests replace by a fake) or, by default, through hub::curl().
#include "core/hub/curl_library.hpp"

#include <memory>

namespace tabagent::hub {

struct CurlEasyDeleter {
    const CurlApi* api = nullptr; // nullptr: hub::curl()
    void operator()(CURL* handle) const noexcept { (api ? *api : curl()).easy_cleanup(handle); }
};
struct CurlMultiDeleter {
    const CurlApi* api = nullptr;
    void operator()(CURLM* handle) const noexcept { (api ? *api : curl()).multi_cleanup(handle); }
};
struct CurlSlistDeleter {
    const CurlApi* api = nullptr;
    void operator()(curl_slist* list) const noexcept { (api ? *api : curl()).slist_free_all(list); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Appends one header line (through the list's own table); keeps the list intact (and returns
// false) when curl cannot allocate.
inline bool slist_append(CurlSlist& list, const char* line) {
    const CurlApi* api = list.get_deleter().api;
    // curl_slist_append returns the same head for a non-empty list, a new one for an empty list.
    curl_slist* head = (api ? *api : curl()).slist_append(list.get(), line);
    if (!head) return false;
    if (head != list.get()) list.reset(head);
    return true;
}

} // namespace tabagent::hub
