# Included from tests/CMakeLists.txt when cross-building for Windows: the Windows-only cases join
# the one unit program, unit_tests.exe, which tests/windows/run-wine-tests.sh runs under Wine.
# They call Win32 directly (share modes, MAX_PATH, the C runtime's text mode), so they live here,
# not in tests/unit/ (tests/lint/platform_seam.py keeps that folder free of OS headers).
target_sources(unit_tests PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/platform_fs_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/platform_proc_test.cpp)
# The shipped executables' manifest, so a case can read it back (platform_proc_test.cpp).
tabagent_windows_manifest(unit_tests)
# Static libcurl's Windows libraries come with tabagent_core; the Win32 calls of the two files above:
target_link_libraries(unit_tests PRIVATE advapi32 kernel32)
set_tests_properties(unit PROPERTIES ENVIRONMENT "WINEDEBUG=-all;WINEDLLOVERRIDES=mscoree,mshtml=")
