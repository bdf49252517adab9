#include "core/model/gguf_name.hpp"

#include "core/model/text.hpp"

#include <charconv>

namespace tabagent::model {
namespace {

// Digits only, at least one; used for the "-00001-of-00003" parts.
bool parse_uint(std::string_view s, unsigned &out) {
    if (s.empty() || s.size() > 6)
        return false;
    for (char c : s)
        if (!text::is_digit(c))
            return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size();
}

// Strips a trailing "-<i>-of-<n>" from `stem`; fills index/count when present.
std::string_view strip_shard(std::string_view stem, unsigned &index, unsigned &count) {
    auto of = stem.rfind("-of-");
    if (of == std::string_view::npos || of == 0)
        return stem;
    auto dash = stem.rfind('-', of - 1);
    if (dash == std::string_view::npos)
        return stem;
    unsigned i = 0, n = 0;
    if (!parse_uint(stem.substr(dash + 1, of - dash - 1), i) || !parse_uint(stem.substr(of + 4), n))
        return stem;
    if (n == 0)
        return stem;
    index = i;
    count = n;
    return stem.substr(0, dash);
}

// Length of the ".gguf..." tail of a basename (".gguf", ".gguf-split-a", ".gguf.part1of2"), or 0.
std::size_t gguf_tail(std::string_view base) {
    if (text::iends_with(base, ".gguf"))
        return 5;
    auto pos = text::to_lower(base).rfind(".gguf");
    if (pos == std::string::npos || pos == 0)
        return 0;
    std::string_view rest = base.substr(pos + 5);
    if (text::istarts_with(rest, "-split-") && rest.size() > 7) {
        for (char c : rest.substr(7))
            if (!(c >= 'a' && c <= 'z'))
                return 0;
        return base.size() - pos;
    }
    if (text::istarts_with(rest, ".part") && rest.size() > 5) {
        std::string_view r = rest.substr(5);
        auto of = r.find("of");
        unsigned a = 0, b = 0;
        if (of != std::string_view::npos && parse_uint(r.substr(0, of), a) &&
            parse_uint(r.substr(of + 2), b))
            return base.size() - pos;
    }
    return 0;
}

bool is_mmproj_stem(std::string_view stem) {
    const std::string low = text::to_lower(stem);
    if (low.rfind("mmproj", 0) == 0)
        return true;
    for (const char *sep : {"-mmproj", ".mmproj", "_mmproj"})
        if (low.find(sep) != std::string::npos)
            return true;
    return false;
}

} // namespace

bool is_gguf_path(std::string_view path) {
    return gguf_tail(text::base_of(path)) != 0;
}

bool is_gguf_quant_tag(std::string_view token) {
    const std::string t = text::to_upper(token);
    if (t == "F16" || t == "BF16" || t == "F32")
        return true;
    if (t.size() == 5 && t[0] == 'T' && t[1] == 'Q' && text::is_digit(t[2]) && t[3] == '_' &&
        text::is_digit(t[4]))
        return true;
    std::size_t i = 0;
    if (i < t.size() && t[i] == 'I')
        ++i;
    if (i >= t.size() || t[i] != 'Q')
        return false;
    ++i;
    const std::size_t digits = i;
    while (i < t.size() && text::is_digit(t[i]))
        ++i;
    if (i == digits)
        return false;
    while (i < t.size()) {
        if (t[i] != '_')
            return false;
        ++i;
        const std::size_t group = i;
        while (i < t.size() && text::is_alnum(t[i]))
            ++i;
        if (i == group)
            return false;
    }
    return true;
}

std::optional<std::string> gguf_quant_tag(std::string_view stem) {
    std::optional<std::string> found;
    std::size_t begin = 0;
    while (true) {
        const std::size_t sep = stem.find_first_of("-.", begin);
        const std::size_t end = sep == std::string_view::npos ? stem.size() : sep;
        const std::string_view token = stem.substr(begin, end - begin);
        if (!token.empty() && is_gguf_quant_tag(token))
            found = text::to_upper(token);
        if (sep == std::string_view::npos)
            return found;
        begin = sep + 1;
    }
}

std::optional<GgufName> parse_gguf_name(std::string_view path) {
    const std::string_view base = text::base_of(path);
    const std::size_t tail = gguf_tail(base);
    if (tail == 0)
        return std::nullopt;
    GgufName name;
    const bool legacy_split = !text::iends_with(base, ".gguf");
    std::string_view stem = base.substr(0, base.size() - tail);
    if (!legacy_split)
        stem = strip_shard(stem, name.shard_index, name.shard_count);
    name.stem = std::string(stem);
    const std::string_view dir = text::dir_of(path);
    name.unit = dir.empty() ? name.stem : std::string(dir) + "/" + name.stem;
    name.tag = gguf_quant_tag(stem).value_or("");
    name.mmproj = is_mmproj_stem(stem);
    return name;
}

} // namespace tabagent::model
