#pragma once
// unit_tests started again as a helper process of a test (no fork on Windows): `unit_tests
// --child <role>` runs the role instead of the doctest session. Started through
// platform::run_exchange (platform/spawn.hpp), which writes the child's stdin and reads its stdout.
#include <string_view>

namespace tabagent::test {

inline constexpr std::string_view k_child_flag = "--child";

// Role "hold-lock": reads a UTF-8 lock path from the first line of stdin, takes the lock file
// (platform::FileLock: flock on POSIX, LockFileEx on Windows), writes "y" (taken) or "n" to
// stdout, and holds it until stdin closes. Defined in cache_lock_test.cpp.
int child_hold_lock();

} // namespace tabagent::test
