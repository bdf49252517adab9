// spdlog's colour console sinks as compiled into tabagent_core (util/spdlog_build.cpp has the
// rest): on Windows stdout_color_sinks.h makes them wincolor_sink (console text attributes).
#include <spdlog/sinks/wincolor_sink-inl.h>
#include <spdlog/details/console_globals.h>

template class SPDLOG_API spdlog::sinks::wincolor_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::wincolor_stdout_sink<spdlog::details::console_mutex>;
template class SPDLOG_API spdlog::sinks::wincolor_stderr_sink<spdlog::details::console_mutex>;
