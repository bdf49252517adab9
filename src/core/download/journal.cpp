#include "core/download/journal.hpp"
#include "core/util/fd.hpp"

#include "core/util/atomic_file.hpp"

#include <nlohmann/json.hpp>


namespace tabagent::download {

std::filesystem::path journal_path(const std::filesystem::path& partial) {
    auto path = partial;
    path += ".journal";
    return path;
}

std::optional<JournalData> read_journal(const std::filesystem::path& path) {
    const auto text = util::read_file_shared(path);
    if (!text) return std::nullopt;
    try {
        const auto json = nlohmann::json::parse(*text);
        if (json.value("version", 0) != 1) return std::nullopt;
        JournalData data;
        data.url = json.value("url", "");
        data.etag = json.at("etag").get<std::string>();
        data.size = json.at("size").get<std::uint64_t>();
        for (const auto& range : json.at("done")) {
            const auto begin = range.at(0).get<std::uint64_t>();
            const auto end = range.at(1).get<std::uint64_t>();
            if (begin < end && end <= data.size) data.done.add(begin, end);
        }
        return data;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

Status write_journal(const std::filesystem::path& path, const JournalData& data, bool durable) {
    nlohmann::json json{{"version", 1}, {"url", data.url}, {"etag", data.etag}, {"size", data.size}};
    auto& done = json["done"] = nlohmann::json::array();
    for (const auto& [b, e] : data.done.ranges()) done.push_back({b, e});
    // Durability is the engine's call: its periodic flushes pass durable=false (see flush_journal).
    return util::write_file_atomically(path, json.dump(),
                                       {.durability = durable ? util::Durability::file : util::Durability::none});
}

} // namespace tabagent::download
