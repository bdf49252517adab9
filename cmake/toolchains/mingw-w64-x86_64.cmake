# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (issue 14 item 1).
#   cmake --preset windows            (CMakePresets.json), or
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake -DTABAGENT_WINDOWS_DEPS=<prefix>
# Compilers: g++-mingw-w64-x86-64-posix. The "posix" threads model (winpthreads underneath) is the one
# whose libstdc++ has std::thread, std::jthread, std::mutex and std::condition_variable; the "win32"
# model of GCC 12 has none of them.
# <prefix> is what scripts/windows-deps.sh prints: static libcrypto and libcurl (Schannel) cross-built
# from Debian's source packages, plus include/ and lib/cmake/ shims for the header libraries taken from
# Debian's -dev packages (see docs/WINDOWS.md).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(TABAGENT_MINGW_TRIPLET x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${TABAGENT_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${TABAGENT_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${TABAGENT_MINGW_TRIPLET}-windres)
# gcc-ar/gcc-ranlib so that -flto objects, if ever used, are archived with their plugin.
set(CMAKE_AR ${TABAGENT_MINGW_TRIPLET}-gcc-ar-posix CACHE FILEPATH "")
set(CMAKE_RANLIB ${TABAGENT_MINGW_TRIPLET}-gcc-ranlib-posix CACHE FILEPATH "")

# The deps prefix: from the cache variable, else the environment, else the script's default location
# is left for the user to pass (no guessing of versions here).
if(NOT TABAGENT_WINDOWS_DEPS AND DEFINED ENV{TABAGENT_WINDOWS_DEPS_PREFIX})
  set(TABAGENT_WINDOWS_DEPS "$ENV{TABAGENT_WINDOWS_DEPS_PREFIX}")
endif()
set(TABAGENT_WINDOWS_DEPS "${TABAGENT_WINDOWS_DEPS}" CACHE PATH
    "Prefix printed by scripts/windows-deps.sh (static libcrypto, libcurl with Schannel)")
if(NOT TABAGENT_WINDOWS_DEPS AND NOT CMAKE_IN_TRY_COMPILE)
  message(FATAL_ERROR "No Windows dependency prefix: run\n"
    "  export TABAGENT_WINDOWS_DEPS_PREFIX=$(bash scripts/windows-deps.sh | tail -n 1)\n"
    "or pass -DTABAGENT_WINDOWS_DEPS=<prefix> (docs/WINDOWS.md).")
endif()
# try_compile projects re-read this file; hand them the prefix too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TABAGENT_WINDOWS_DEPS)

# Look for libraries, headers and CMake packages only in the deps prefix and mingw's own sysroot,
# never in the build machine's /usr (its glibc headers and ELF libraries would be taken otherwise);
# programs (tools run during the build) come from the build machine.
set(CMAKE_FIND_ROOT_PATH "${TABAGENT_WINDOWS_DEPS}" /usr/${TABAGENT_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (FindCURL asks it first): the deps prefix's .pc files, never the build machine's.
if(TABAGENT_WINDOWS_DEPS)
  set(ENV{PKG_CONFIG_LIBDIR} "${TABAGENT_WINDOWS_DEPS}/lib/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "")
endif()
# Static libraries only: find_library prefers libfoo.a over the import library libfoo.dll.a.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(OPENSSL_USE_STATIC_LIBS ON)
# FindCURL reads this from CMake 3.28 on; 3.25's neither needs it (only .a exists) nor adds curl's
# Windows libraries (bcrypt advapi32 crypt32 ws2_32, libcurl.pc): consumers link those.
set(CURL_USE_STATIC_LIBS ON)

# Header-only libraries from Debian's -dev packages, as on Linux where they sit in the default
# search path: the prefix's include/ holds links to exactly those folders of /usr/include (adding
# /usr/include itself would put glibc's headers before mingw's).
if(TABAGENT_WINDOWS_DEPS)
  set(CMAKE_C_STANDARD_INCLUDE_DIRECTORIES "${TABAGENT_WINDOWS_DEPS}/include")
  set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES "${TABAGENT_WINDOWS_DEPS}/include")
endif()

# No DLL besides Windows' own: libgcc, libstdc++ and winpthread linked statically (-static makes
# the linker take libwinpthread.a instead of its import library). libcurl is a static archive.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
add_compile_definitions(CURL_STATICLIB)
# std::binary_semaphore (and so std::stop_callback, std::condition_variable_any's stop-token waits,
# std::jthread) on sem_t instead of libstdc++'s atomic wait. Without a futex, GCC 12's atomic wait
# (bits/atomic_wait.h, __waiter_pool::_M_do_wait) reads the version counter, then waits on a
# condition variable that the notifier signals without taking its mutex: a notify between the two
# is lost and the wait never ends. ~stop_callback waits that way for a callback that another
# thread's request_stop() is running, so a stop could hang its waiter for good (issue 14: under
# Wine, the Hub's Retry-After wait and the blob lock's backoff; docs/WINDOWS.md). winpthreads'
# sem_t has no such window.
add_compile_definitions(_GLIBCXX_USE_POSIX_SEMAPHORE=1)

# Run cross-built test programs under Wine (ctest, doctest_discover_tests, try_run).
find_program(TABAGENT_WINE wine)
if(TABAGENT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${TABAGENT_WINE}")
endif()
