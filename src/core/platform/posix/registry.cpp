// platform/registry.hpp, POSIX side: there is no registry; callers only reach these on Windows.
#include "core/platform/registry.hpp"

namespace tabagent::platform {
namespace {
tl::unexpected<Error> no_registry() { return fail(ErrorCode::internal, "no registry on this platform"); }
} // namespace

Status set_user_default_value(std::string_view, std::string_view) { return no_registry(); }
Result<std::optional<std::string>> get_user_default_value(std::string_view) { return no_registry(); }
Status delete_user_key(std::string_view) { return no_registry(); }

} // namespace tabagent::platform
