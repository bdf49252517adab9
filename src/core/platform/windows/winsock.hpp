#pragma once
// Inside the Windows side of the seam only: Winsock's headers in the order they need, its start-up
// and its errors as Error.
#include "core/error.hpp"

#include "core/platform/windows/windows_h.hpp" // first: winsock2.h includes windows.h too
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>

namespace tabagent::platform::windows {

// WSAStartup(2.2) once per process (a function-local static, so threads race safely). Never
// WSACleanup: sockets may still be closing in other threads when statics are destroyed, and the
// process's end releases everything anyway.
Status start_winsock();

// `what`: the Winsock error text (FormatMessage) with its number.
Error wsa_error(ErrorCode code, const char* what, int err = ::WSAGetLastError());
Error last_error(ErrorCode code, const char* what, DWORD err = ::GetLastError());

} // namespace tabagent::platform::windows
