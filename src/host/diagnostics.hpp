#pragma once
// What the host prints when a person runs it: help and diagnostics.
#include "core/config.hpp"

#include <filesystem>
#include <ostream>

namespace tabagent::host {

void print_help(std::ostream& out);
void print_diagnostics(std::ostream& out, const Config& config, const std::filesystem::path& log_file);
// --install, --uninstall and --check live in host/registration.hpp.

} // namespace tabagent::host
