# Warnings for our own targets only; -Werror comes from CMAKE_COMPILE_WARNING_AS_ERROR (ci preset).
add_library(tabagent_warnings INTERFACE)
target_compile_options(tabagent_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wextra-semi)
