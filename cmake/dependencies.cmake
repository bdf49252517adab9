# Every dependency is a Debian package; nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
# Start-up cost decides how the shipped executables get their libraries: libcurl is loaded on
# first use (src/core/hub/curl_library.hpp), and libcrypto (SHA-256, SHA-1) is linked statically
# into tabagent-host and tabagent-cache, since the shared one adds ~2 ms to every start of the
# host. An executable asks for it with the target property TABAGENT_STATIC_CRYPTO; test tools,
# which also load OpenSSL through cpp-httplib, keep the shared one (one OpenSSL per process).
find_library(TABAGENT_STATIC_CRYPTO_LIBRARY NAMES libcrypto.a)
add_library(tabagent_crypto INTERFACE)
if(TABAGENT_STATIC_CRYPTO_LIBRARY)
  target_link_libraries(tabagent_crypto INTERFACE
    "$<IF:$<BOOL:$<TARGET_PROPERTY:TABAGENT_STATIC_CRYPTO>>,${TABAGENT_STATIC_CRYPTO_LIBRARY},OpenSSL::Crypto>"
    ${CMAKE_DL_LIBS} Threads::Threads)
else()
  message(STATUS "libcrypto.a not found: linking the shared libcrypto (slower start-up)")
  target_link_libraries(tabagent_crypto INTERFACE OpenSSL::Crypto)
endif()
find_package(spdlog REQUIRED)
find_package(tl-expected REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
if(TABAGENT_BUILD_TESTS)
  find_package(doctest REQUIRED)
  # Only the fake hub and the in-process test servers use cpp-httplib (the host has its own loopback
  # server, src/host/http); it ships only a pkg-config file on Debian 12.
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
endif()

# The executables users run (tabagent-host, tabagent-cache) carry libcrypto, libstdc++ and libgcc
# inside them, so that starting one loads nothing but libc and libm (see ARCHITECTURE.md,
# "Start-up cost"). Sanitizer presets turn the static C++ runtime off: their runtimes expect
# to interpose on the shared one.
option(TABAGENT_STATIC_RUNTIME "Link libstdc++ and libgcc statically into the shipped executables" ON)
function(tabagent_shipped_executable target)
  set_target_properties(${target} PROPERTIES TABAGENT_STATIC_CRYPTO ON)
  tabagent_windows_manifest(${target})
  if(TABAGENT_STATIC_RUNTIME AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
