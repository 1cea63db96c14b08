#pragma once
// How the request fuzzer reads an input as one HTTP request.
//
// The input is a request as a person would type it, with "\n" line ends:
//
//     POST /auth/users/?x=1          the request line; " HTTP/1.0" may follow (default HTTP/1.1)
//     Content-Type: application/json one header a line, up to the first empty line
//     Authorization: Bearer $ACCESS_USER
//
//     {"username":"amy", ...}        the body: every byte after the empty line, kept as it is
//
// A "\r" before a head line's "\n" is dropped, so raw HTTP works too. Content-Length is added
// unless the input has Content-Length or Transfer-Encoding. The text is then read with Beast's
// request parser, as the server reads the wire: an input the parser refuses is no request
// (a header with a control character, a bad chunk, a short body) and is not run.

#include "usermgmt/http/handler.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace usermgmt::fuzz {

/// The wire form of an input (the head with CRLF line ends and Content-Length added).
[[nodiscard]] std::string wire_text(std::string_view input);

/// The request Beast's parser reads from `wire`, or nullopt when it refuses it.
[[nodiscard]] std::optional<http::Request> parse_request(std::string_view wire);

}  // namespace usermgmt::fuzz
