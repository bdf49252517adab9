#include "core/config_overrides.hpp"

#include "core/platform/fs.hpp"

namespace tabagent {

Result<Config> apply_overrides(Config c, const ConfigOverrides& o) {
    if (!o.cache_dir.empty()) c.cache_root = platform::u8path(o.cache_dir); // UTF-8 text (main.cpp)
    if (!o.endpoint.empty()) {
        std::string e = o.endpoint;
        while (e.size() > 1 && e.back() == '/') e.pop_back();
        if (!e.starts_with("http://") && !e.starts_with("https://"))
            return fail(ErrorCode::bad_request, "--endpoint must be an http:// or https:// URL", {{"endpoint", o.endpoint}});
        c.endpoint = e;
    }
    if (o.offline) c.offline = *o.offline;
    if (o.token) c.explicit_token = *o.token;
    if (!o.limit_rate.empty()) {
        auto rate = parse_size(o.limit_rate);
        if (!rate) return fail(ErrorCode::bad_request, "--limit-rate wants a size per second such as 10M or 500K",
                               {{"limit-rate", o.limit_rate}});
        c.rate_limit_bytes_per_second = *rate;
    }
    return c;
}

} // namespace tabagent
