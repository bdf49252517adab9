#pragma once
// Action name -> handler. Handlers return a Reply or an Error; the host maps both to frames.
#include "core/error.hpp"
#include "host/envelope.hpp"
#include "host/request.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tabagent::host {

struct HostContext;

// Quick handlers share one lane (in order, never behind network or disk-heavy work);
// slow ones (network, hashing, large reads) run on a separate pool.
enum class Lane { quick, slow };

using Handler = std::function<Result<Reply>(const Request&, HostContext&)>;

class Router {
public:
    struct Entry {
        Handler handler;
        Lane lane = Lane::quick;
    };
    void add(std::string action, Handler handler, Lane lane = Lane::quick);
    const Entry* find(const std::string& action) const;
    std::vector<std::string> actions() const;

    struct Dispatched {
        nlohmann::json reply;             // null when `frame` is set
        std::string frame;                // Reply::frame: the encoded success frame, sent as is
        std::function<void()> after_send; // from Reply::after_send, on success only
    };
    // Runs the handler; exceptions from bad field types become BAD_REQUEST, others INTERNAL.
    static Dispatched dispatch(const Entry& entry, const Request& request, HostContext& ctx);

private:
    std::map<std::string, Entry> m_entries;
};

} // namespace tabagent::host
