# Every dependency is a Debian package; nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
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
