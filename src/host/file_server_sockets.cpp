#include "host/file_server_sockets.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>

namespace tabagent::host {
namespace {

struct Ends {
    int local_port = -1;
    int remote_port = -1;
};

// Both ends of an IPv4 loopback TCP connection, or nothing for anything else (files, pipes,
// listening sockets, other addresses).
bool loopback_ends(int fd, Ends& out) {
    sockaddr_in local{}, remote{};
    socklen_t len = sizeof(local);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 || local.sin_family != AF_INET) return false;
    len = sizeof(remote);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &len) != 0 || remote.sin_family != AF_INET) return false;
    if (local.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) return false;
    out.local_port = ntohs(local.sin_port);
    out.remote_port = ntohs(remote.sin_port);
    return true;
}

} // namespace

int find_connection_socket(int local_port, int remote_port) {
    for (int fd = 0; fd < FD_SETSIZE; ++fd) {
        Ends e;
        if (loopback_ends(fd, e) && e.local_port == local_port && e.remote_port == remote_port) return fd;
    }
    return -1;
}

std::vector<int> connection_sockets(int local_port) {
    std::vector<int> out;
    for (int fd = 0; fd < FD_SETSIZE; ++fd) {
        Ends e;
        if (loopback_ends(fd, e) && e.local_port == local_port) out.push_back(fd);
    }
    return out;
}

bool peer_closed(int fd) {
    char byte = 0;
    ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return false; // a pipelined request: still there
    if (n == 0) return true;
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

} // namespace tabagent::host
