#pragma once
// A response as the bytes that go on the wire, in one buffer. Beast's serializer walks the
// header as a sequence of buffers (start line, each field, body) several times per write; for the
// small answers this server gives, one contiguous copy is cheaper (docs/performance.md).

#include "usermgmt/http/message.hpp"

#include <string>

namespace usermgmt::http::detail {

/// True when the answer is better written through `serialize_response`: a body sent as it is,
/// not chunked (every answer of the handler has a Content-Length), and small enough that copying
/// it costs less than Beast's walk (larger bodies, media files, go out from where they are, and
/// no connection keeps a large buffer).
bool fits_one_buffer(const Response& response);

/// Replaces `out` with the start line, the header fields in their order, the blank line and the
/// body of `response` (whose `writes_whole` is true). `out` keeps its capacity between answers.
void serialize_response(const Response& response, std::string& out);

}  // namespace usermgmt::http::detail
