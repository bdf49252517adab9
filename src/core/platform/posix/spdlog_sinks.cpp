// spdlog's colour console sinks as compiled into tabagent_core (util/spdlog_build.cpp has the
// rest): on POSIX stdout_color_sinks.h makes them ansicolor_sink (escape sequences).
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/details/console_globals.h>

template class SPDLOG_API spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::ansicolor_stderr_sink<spdlog::details::console_mutex>;
