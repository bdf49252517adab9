#define DOCTEST_CONFIG_IMPLEMENT
#include "child_process.hpp"

#include <doctest/doctest.h>

#include <string_view>

int main(int argc, char** argv) {
    // A helper process some test started (child_process.hpp), not a test run.
    if (argc == 3 && argv[1] == tabagent::test::k_child_flag) {
        if (std::string_view(argv[2]) == "hold-lock") return tabagent::test::child_hold_lock();
        return 2;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
