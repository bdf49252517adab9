#pragma once
// get_file's success reply built as one encoded frame in one buffer: the length prefix, the JSON
// envelope written by hand around the payload's "data" field, the chunk read straight into the
// tail of that field and base64-encoded in place. No json object ever holds the data: a 700 KiB
// chunk is ~1 MB of JSON text, and building it through nlohmann::json cost a read buffer, the
// base64 string, the dumped text (grown by doubling, each character checked for escaping) and a
// copy behind the length prefix.
//
// The bytes are exactly those of the generic path (pinned by tests/unit/host_writer_test.cpp):
//   encode_frame(FrameWriter::serialize(success_reply(id, payload_reply(
//       {{"data", base64}, {"offset", o}, {"length", n}, {"size", s}, {"eof", e}}))))
// that is, keys in std::map order (the default nlohmann object), compact, with the id under
// the field name the request used.
#include "host/request.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tabagent::host {

struct DataFrameFields {
    std::uint64_t offset = 0, length = 0, size = 0;
    bool eof = false;
};

class DataReplyFrame {
public:
    // `max_raw`: the most bytes the chunk may hold (its buffer is sized for them).
    DataReplyFrame(const RequestId& id, std::size_t max_raw);

    // Where the chunk's bytes go (at most max_raw of them): the tail of the data field.
    std::span<std::byte> raw_area(std::size_t raw);
    // After `raw_area(raw)` was filled with `fields.length` <= raw bytes: encodes them in place,
    // writes the rest of the envelope and the length prefix; returns the whole frame.
    std::string finish(const DataFrameFields& fields) &&;

private:
    std::string m_frame;
    std::string m_id_member; // "<field>":<value>, already serialised
    // Where the id key sorts among "payload" and "status" (messageId before both, request_id
    // between them).
    enum class IdAt { first, middle, last } m_id_at;
    std::size_t m_data_at;   // where the data field's text starts
    std::size_t m_raw = 0;   // size of the area handed out by raw_area
};

} // namespace tabagent::host
