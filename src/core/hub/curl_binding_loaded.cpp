// libcurl loaded at run time (curl_binding.hpp). The library stays mapped for the whole process
// (util::SharedLibrary never unmaps), so the handle need not outlive this function.
#include "core/hub/curl_binding.hpp"

#include "core/util/shared_library.hpp"

namespace tabagent::hub::detail {

Status bind_curl(CurlApi& api, std::string& name) {
    // Debian's OpenSSL flavour, its GnuTLS flavour, then macOS's name: the loader simply fails
    // on the names its platform does not use.
    auto library = util::SharedLibrary::open({"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.4.dylib"});
    if (!library) return fail(ErrorCode::internal, "libcurl is not installed (" + library.error().message + ")");
    name = library->name();
#define TABAGENT_CURL_RESOLVE(fn)                                                                        \
    api.fn = reinterpret_cast<decltype(api.fn)>(library->symbol("curl_" #fn));                           \
    if (!api.fn) return fail(ErrorCode::internal, library->name() + " lacks curl_" #fn);
    TABAGENT_CURL_FUNCTIONS(TABAGENT_CURL_RESOLVE)
#undef TABAGENT_CURL_RESOLVE
    return {};
}

} // namespace tabagent::hub::detail
