#include "json_py.hpp"

#include <string>

namespace py = pybind11;

namespace tabagent::python {

py::object to_python(const nlohmann::json& value) {
    switch (value.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(value.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(value.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(value.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(value.get<double>());
    case nlohmann::json::value_t::string: return py::str(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
        py::list list;
        for (const auto& item : value) list.append(to_python(item));
        return list;
    }
    case nlohmann::json::value_t::object: {
        py::dict dict;
        for (const auto& [key, item] : value.items()) dict[py::str(key)] = to_python(item);
        return dict;
    }
    default: return py::none(); // binary and discarded values never occur in the core's documents
    }
}

nlohmann::json from_python(py::handle value) {
    if (value.is_none()) return nullptr;
    if (py::isinstance<py::bool_>(value)) return value.cast<bool>();
    if (py::isinstance<py::int_>(value)) return value.cast<std::int64_t>();
    if (py::isinstance<py::float_>(value)) return value.cast<double>();
    if (py::isinstance<py::str>(value)) return value.cast<std::string>();
    if (py::isinstance<py::dict>(value)) {
        nlohmann::json object = nlohmann::json::object();
        for (auto item : value.cast<py::dict>()) object[py::str(item.first).cast<std::string>()] = from_python(item.second);
        return object;
    }
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        nlohmann::json array = nlohmann::json::array();
        for (auto item : value) array.push_back(from_python(item));
        return array;
    }
    return py::str(value).cast<std::string>();
}

} // namespace tabagent::python
