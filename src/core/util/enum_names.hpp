#pragma once
// The spelling of an enum's values (wire, manifest or protocol names) and its inverse, for enums
// whose values count from 0 in declaration order. One table per enum instead of a switch for
// to_string and a loop for parsing.
#include <array>
#include <cstddef>
#include <string_view>

namespace tabagent::util {

template <class Enum, std::size_t N>
class EnumNames {
public:
    // `names[i]` spells the value whose underlying number is i.
    constexpr explicit EnumNames(std::array<std::string_view, N> names) : m_names(names) {}

    // The name of `value`; `fallback` for a value outside the table (a cast from a bad number).
    constexpr std::string_view name(Enum value, std::string_view fallback = {}) const {
        const auto index = static_cast<std::size_t>(value);
        return index < N ? m_names[index] : fallback;
    }
    // Sets `out` and returns true when `name` is one of the names; false (out untouched) otherwise.
    constexpr bool parse(std::string_view name, Enum& out) const {
        for (std::size_t i = 0; i < N; ++i)
            if (m_names[i] == name) {
                out = static_cast<Enum>(i);
                return true;
            }
        return false;
    }

private:
    std::array<std::string_view, N> m_names;
};

template <class Enum, class... Names>
constexpr EnumNames<Enum, sizeof...(Names)> enum_names(Names... names) {
    return EnumNames<Enum, sizeof...(Names)>({std::string_view(names)...});
}

} // namespace tabagent::util
