#pragma once
// Owner of a loaded library (platform::open_library: dlopen, LoadLibraryW). On Linux the host
// loads its heavy libraries (libcurl and the TLS, Kerberos, LDAP and SSH libraries it depends on)
// on first use rather than at every start, because the dynamic loader would otherwise spend
// twice the host's start-up budget on them before main().
#include "core/error.hpp"

#include <initializer_list>
#include <memory>
#include <string>

namespace tabagent::util {

class SharedLibrary {
public:
    // Opens the first of `names` (sonames such as "libcurl.so.4") that the loader finds. The
    // library stays mapped even after close (platform::open_library): a thread still inside it
    // at exit must not lose its code. NOT_FOUND with the loaders' messages when none opens.
    static Result<SharedLibrary> open(std::initializer_list<const char*> names);

    // The address of `name`, or nullptr when the library does not export it.
    void* symbol(const char* name) const;
    const std::string& name() const { return m_name; }

private:
    struct Closer {
        void operator()(void* handle) const noexcept;
    };
    SharedLibrary(void* handle, std::string name);

    std::unique_ptr<void, Closer> m_handle;
    std::string m_name;
};

} // namespace tabagent::util
