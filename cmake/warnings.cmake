# Warnings for our own targets only; -Werror comes from CMAKE_COMPILE_WARNING_AS_ERROR (ci preset).
add_library(tabagent_warnings INTERFACE)
target_compile_options(tabagent_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wextra-semi)
# GCC 12 reports impossible overlaps in libstdc++'s own string appends ("accessing
# 9223372036854775810 or more bytes ... may overlap", -Wrestrict, GCC bug 105329, fixed in 13) for
# `"x" + str + "y"` at -O2/-O3; the mingw-w64 build meets it wherever a string comes from a path.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(tabagent_warnings INTERFACE -Wno-restrict)
endif()
