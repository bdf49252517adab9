#include "host/data_frame.hpp"

#include "core/util/base64.hpp"
#include "host/writer.hpp"

#include <cassert>
#include <charconv>
#include <cstring>
#include <string_view>

namespace tabagent::host {
namespace {

constexpr std::string_view k_head = "\"payload\":{\"data\":\"";
constexpr std::string_view k_status = "\"status\":\"success\"}";
// The longest text after the data: every number at 20 digits, eof false.
constexpr std::size_t k_fields_max =
    std::string_view("\",\"eof\":false,\"length\":,\"offset\":,\"size\":},").size() + 3 * 20;

void put(std::string& s, std::size_t& at, std::string_view text) {
    std::memcpy(s.data() + at, text.data(), text.size());
    at += text.size();
}

void put_uint(std::string& s, std::size_t& at, std::uint64_t v) {
    auto [end, ec] = std::to_chars(s.data() + at, s.data() + s.size(), v);
    assert(ec == std::errc());
    at = static_cast<std::size_t>(end - s.data());
}

} // namespace

DataReplyFrame::DataReplyFrame(const RequestId& id, std::size_t max_raw) {
    // The id's key and value through the generic serialiser: the same escaping, the same
    // invalid-UTF-8 replacement as every other frame.
    m_id_member = FrameWriter::serialize(nlohmann::json(id.field)) + ':' + FrameWriter::serialize(id.value);
    // success_reply's object is a std::map: keys in byte order around "payload" and "status".
    assert(id.field != "payload" && id.field != "status");
    m_id_at = id.field < "payload" ? IdAt::first : id.field < "status" ? IdAt::middle : IdAt::last;
    std::size_t max_size = 4 + 1 + m_id_member.size() + 1 + k_head.size() + util::base64_encoded_size(max_raw) +
                           k_fields_max + k_status.size();
    m_frame.resize(max_size); // one allocation, the only one of this frame
    std::size_t at = 4;
    put(m_frame, at, "{");
    if (m_id_at == IdAt::first) {
        put(m_frame, at, m_id_member);
        put(m_frame, at, ",");
    }
    put(m_frame, at, k_head);
    m_data_at = at;
}

std::span<std::byte> DataReplyFrame::raw_area(std::size_t raw) {
    // Tail-aligned in the encoded area, which lets base64_encode_to work in place.
    m_raw = raw;
    auto* end = reinterpret_cast<std::byte*>(m_frame.data() + m_data_at + util::base64_encoded_size(raw));
    return {end - raw, raw};
}

std::string DataReplyFrame::finish(const DataFrameFields& fields) && {
    std::size_t got = static_cast<std::size_t>(fields.length);
    assert(got <= m_raw);
    char* data = m_frame.data() + m_data_at;
    char* raw = data + util::base64_encoded_size(m_raw) - m_raw;
    if (got < m_raw) {
        // A short read (the file shrank under us): move the bytes to the tail of the smaller area.
        char* moved = data + util::base64_encoded_size(got) - got;
        std::memmove(moved, raw, got);
        raw = moved;
    }
    std::size_t at = m_data_at + util::base64_encode_to(raw, got, data);
    put(m_frame, at, "\",\"eof\":");
    put(m_frame, at, fields.eof ? "true" : "false");
    put(m_frame, at, ",\"length\":");
    put_uint(m_frame, at, fields.length);
    put(m_frame, at, ",\"offset\":");
    put_uint(m_frame, at, fields.offset);
    put(m_frame, at, ",\"size\":");
    put_uint(m_frame, at, fields.size);
    put(m_frame, at, "},");
    if (m_id_at == IdAt::middle) {
        put(m_frame, at, m_id_member);
        put(m_frame, at, ",");
    }
    put(m_frame, at, k_status);
    if (m_id_at == IdAt::last) {
        m_frame[at - 1] = ','; // "...success"}" -> "...success","<id>":<value>}
        put(m_frame, at, m_id_member);
        put(m_frame, at, "}");
    }
    auto body = static_cast<std::uint32_t>(at - 4);
    std::memcpy(m_frame.data(), &body, sizeof body); // native byte order, as encode_frame
    m_frame.resize(at);
    return std::move(m_frame);
}

} // namespace tabagent::host
