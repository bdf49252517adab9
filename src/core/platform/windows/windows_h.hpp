#pragma once
// The one way the Windows side of the seam includes <windows.h>: without the rarely used APIs
// (which also keeps Winsock 1 out, so winsock2.h can follow in any order) and without the min/max
// macros that break std::min/std::max. In a unity batch the first include decides, so every file
// goes through here.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
