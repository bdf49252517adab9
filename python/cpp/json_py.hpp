#pragma once
// nlohmann::json <-> Python objects, for the documents the core already shapes (wire::to_json):
// the Python package returns the same dicts the host's replies and the CLI's --json carry.
// Call with the GIL held.
#include <nlohmann/json.hpp>
#include <pybind11/pybind11.h>

namespace tabagent::python {

pybind11::object to_python(const nlohmann::json& value);
nlohmann::json from_python(pybind11::handle value);

} // namespace tabagent::python
