#pragma once
// What cpp-httplib 0.11 does not expose about the connections of a server it runs: handlers never
// see their socket, and stop() leaves idle keep-alive connections waiting up to their timeout.
// The server's sockets are found by address instead: every accepted connection has the server's
// local port, and httplib (select-based) refuses descriptors >= FD_SETSIZE, so a scan of
// [0, FD_SETSIZE) sees them all.
#include <vector>

namespace tabagent::host {

// The accepted socket of the connection 127.0.0.1:local_port <- 127.0.0.1:remote_port, or -1.
int find_connection_socket(int local_port, int remote_port);
// Every connected TCP socket whose local end is 127.0.0.1:local_port.
std::vector<int> connection_sockets(int local_port);
// True when the peer closed its end (EOF or error), without consuming anything it sent.
bool peer_closed(int fd);

} // namespace tabagent::host
