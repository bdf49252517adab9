#pragma once
// What the host prints when a person runs it: help, diagnostics, and --check.
#include "core/config.hpp"

#include <filesystem>
#include <ostream>

namespace tabagent::host {

void print_help(std::ostream& out);
void print_diagnostics(std::ostream& out, const Config& config, const std::filesystem::path& log_file);
// Reads the registered browser manifests and performs a framed handshake with the binary each one
// points at. Returns 0 when every registration found works, 1 otherwise.
int run_check(std::ostream& out, const Config& config);

} // namespace tabagent::host
