// libcurl linked into the executable (curl_binding.hpp): the table takes the linked functions.
#include "core/hub/curl_binding.hpp"

namespace tabagent::hub::detail {

Status bind_curl(CurlApi& api, std::string& name) {
#define TABAGENT_CURL_TAKE(fn) api.fn = &::curl_##fn;
    TABAGENT_CURL_FUNCTIONS(TABAGENT_CURL_TAKE)
#undef TABAGENT_CURL_TAKE
    name = std::string("libcurl ") + LIBCURL_VERSION + " (linked)";
    return {};
}

} // namespace tabagent::hub::detail
