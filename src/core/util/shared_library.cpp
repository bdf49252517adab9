#include "core/util/shared_library.hpp"

#include "core/platform/process.hpp"

namespace tabagent::util {

void SharedLibrary::Closer::operator()(void* handle) const noexcept { platform::close_library(handle); }

SharedLibrary::SharedLibrary(void* handle, std::string name) : m_handle(handle), m_name(std::move(name)) {}

Result<SharedLibrary> SharedLibrary::open(std::initializer_list<const char*> names) {
    std::string reasons;
    for (const char* name : names) {
        auto handle = platform::open_library(name);
        if (handle) return SharedLibrary(*handle, name);
        if (!reasons.empty()) reasons += "; ";
        reasons += handle.error().message;
    }
    return fail(ErrorCode::not_found, "cannot load a shared library: " + reasons);
}

void* SharedLibrary::symbol(const char* name) const { return platform::library_symbol(m_handle.get(), name); }

} // namespace tabagent::util
