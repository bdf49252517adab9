// tabagent_cache._core: the pybind11 module over Core. It converts arguments and documents and
// raises errors through the factory the Python package registers (tabagent_cache/errors.py holds
// the one mapping from protocol error codes to exception classes). Blocking work runs with the
// GIL released; nothing here is called from a job thread.
#include "core.hpp"
#include "json_py.hpp"

#include "core/config_overrides.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace tabagent::python {
namespace {

using Json = nlohmann::json;

py::object& error_factory() {
    static py::object* factory = new py::object(); // never destroyed: outlives interpreter shutdown
    return *factory;
}

[[noreturn]] void raise_error(const Error& error) {
    py::object factory = error_factory();
    if (!factory) throw std::runtime_error(std::string(to_string(error.code)) + ": " + error.message);
    py::object exc = factory(std::string(to_string(error.code)), error.message, to_python(error.details), error.http_status);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    throw py::error_already_set();
}

// Runs a Core call with the GIL released; converts its document or raises its error.
template <typename Call> py::object unlocked(Call&& call) {
    Result<Json> result;
    {
        py::gil_scoped_release release;
        result = call();
    }
    if (!result) raise_error(result.error());
    return to_python(*result);
}

std::unique_ptr<Core> make_core(std::optional<std::string> cache_dir, std::optional<std::string> endpoint,
                                std::optional<std::string> token, std::optional<bool> offline) {
    ConfigOverrides overrides;
    overrides.cache_dir = cache_dir.value_or("");
    overrides.endpoint = endpoint.value_or("");
    overrides.token = std::move(token);
    overrides.offline = offline;
    Result<Config> config;
    {
        py::gil_scoped_release release;
        config = apply_overrides(Config::from_environment(), overrides);
    }
    if (!config) raise_error(config.error());
    py::gil_scoped_release release;
    return std::make_unique<Core>(*config);
}

void bind_cache_calls(py::class_<Core>& c) {
    using S = const std::string&;
    c.def("config", [](Core& self) { return unlocked([&] { return self.config(); }); });
    c.def("scan_repo", [](Core& self, S repo, S rev) { return unlocked([&] { return self.scan_repo(repo, rev); }); });
    c.def("get_manifest", [](Core& self, S repo, S format) { return unlocked([&] { return self.get_manifest(repo, format); }); });
    c.def("list_models", [](Core& self) { return unlocked([&] { return self.list_models(); }); });
    c.def("has_file", [](Core& self, S repo, S file, S rev) { return unlocked([&] { return self.has_file(repo, file, rev); }); });
    c.def("file_path", [](Core& self, S repo, S file, S rev) { return unlocked([&] { return self.file_path(repo, file, rev); }); });
    c.def("delete_model", [](Core& self, S repo, S quant) { return unlocked([&] { return self.delete_model(repo, quant); }); });
    c.def("get_stats", [](Core& self) { return unlocked([&] { return self.get_stats(); }); });
    c.def("clean", [](Core& self, std::optional<std::uint64_t> max_bytes, std::optional<double> older_than, bool dry_run) {
        return unlocked([&] { return self.clean(max_bytes, older_than, dry_run); });
    });
    c.def("set_token", [](Core& self, S token, bool validate) { return unlocked([&] { return self.set_token(token, validate); }); });
    c.def("token_status", [](Core& self) { return unlocked([&] { return self.token_status(); }); });
    c.def("clear_token", [](Core& self) { return unlocked([&] { return self.clear_token(); }); });
}

void bind_job_calls(py::class_<Core>& c) {
    using S = const std::string&;
    c.def("submit", [](Core& self, S kind, S repo, S rev, S quant, const std::vector<std::string>& files) {
        return unlocked([&] { return self.submit(kind, repo, rev, quant, files); });
    });
    c.def("wait_events", [](Core& self, S job_id, std::uint64_t after, double timeout, double hold) {
        JobEvents::Batch batch;
        {
            py::gil_scoped_release release;
            batch = self.wait_events(job_id, after, timeout, hold);
        }
        py::list events;
        for (const auto& e : batch.events) events.append(to_python(e));
        return py::make_tuple(events, batch.cursor, batch.terminal);
    });
    c.def("job_result", [](Core& self, S job_id) { return unlocked([&] { return self.job_result(job_id); }); });
    c.def("list_downloads", [](Core& self) { return unlocked([&] { return self.list_downloads(); }); });
    c.def("get_job", [](Core& self, S job_id) { return unlocked([&] { return self.get_job(job_id); }); });
    c.def("cancel", [](Core& self, S job_id) { return unlocked([&] { return self.cancel(job_id); }); });
    c.def("pause", [](Core& self, S job_id) { return unlocked([&] { return self.pause(job_id); }); });
    c.def("resume", [](Core& self, S job_id) { return unlocked([&] { return self.resume(job_id); }); });
    c.def("close", [](Core& self) {
        py::gil_scoped_release release;
        self.close();
    });
}

} // namespace
} // namespace tabagent::python

PYBIND11_MODULE(_core, m) {
    using namespace tabagent::python;
    m.doc() = "The C++ core of tabagent_cache (use tabagent_cache.ModelCache).";
    m.attr("__version__") = TABAGENT_VERSION;
    m.def("set_error_factory", [](py::object factory) { error_factory() = std::move(factory); });
    py::class_<Core> core(m, "Core");
    core.def(py::init(&make_core), py::arg("cache_dir"), py::arg("endpoint"), py::arg("token"), py::arg("offline"));
    bind_cache_calls(core);
    bind_job_calls(core);
}
