#pragma once
// Sets (or removes, with nullptr) an environment variable for one scope and restores it, through
// the platform seam (setenv on POSIX, SetEnvironmentVariableW and _wputenv on Windows).
#include "core/platform/process.hpp"

#include <optional>
#include <string>

namespace tabagent::test {

struct EnvVar {
    std::string name;
    std::optional<std::string> old;
    EnvVar(std::string n, const char* value) : name(std::move(n)), old(platform::environment_variable(name.c_str())) {
        set(value ? std::optional<std::string>(value) : std::nullopt);
    }
    ~EnvVar() { set(old); }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;
    void set(const std::optional<std::string>& value) const {
        [[maybe_unused]] auto ok = platform::set_environment_variable(name.c_str(), value);
    }
};

} // namespace tabagent::test
