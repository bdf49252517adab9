#include "core/util/shared_library.hpp"

#include <dlfcn.h>

namespace tabagent::util {

void SharedLibrary::Closer::operator()(void* handle) const noexcept { ::dlclose(handle); }

SharedLibrary::SharedLibrary(void* handle, std::string name) : m_handle(handle), m_name(std::move(name)) {}

Result<SharedLibrary> SharedLibrary::open(std::initializer_list<const char*> names) {
    std::string reasons;
    for (const char* name : names) {
        if (void* handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))
            return SharedLibrary(handle, name);
        const char* why = ::dlerror();
        if (!reasons.empty()) reasons += "; ";
        reasons += why ? why : name;
    }
    return fail(ErrorCode::not_found, "cannot load a shared library: " + reasons);
}

void* SharedLibrary::symbol(const char* name) const { return ::dlsym(m_handle.get(), name); }

} // namespace tabagent::util
