#include "request_input.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

namespace usermgmt::fuzz {

namespace bhttp = boost::beast::http;

namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix)
{
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
}

}  // namespace

std::string wire_text(std::string_view input)
{
    std::vector<std::string_view> head;
    std::string_view body;
    for (std::size_t at = 0;;) {
        const auto end = input.find('\n', at);
        if (end == std::string_view::npos) {
            // No empty line: the rest is one more head line and there is no body.
            if (at < input.size()) head.push_back(input.substr(at));
            break;
        }
        auto line = input.substr(at, end - at);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        at = end + 1;
        if (line.empty()) {
            body = input.substr(at);
            break;
        }
        head.push_back(line);
    }
    std::string wire;
    wire.reserve(input.size() + 64);
    bool framed = false;
    for (std::size_t i = 0; i < head.size(); ++i) {
        wire += head[i];
        if (i == 0 && head[i].find(" HTTP/") == std::string_view::npos) wire += " HTTP/1.1";
        if (i > 0)
            framed |= starts_with_nocase(head[i], "content-length:") || starts_with_nocase(head[i], "transfer-encoding:");
        wire += "\r\n";
    }
    if (!framed) wire += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    wire += "\r\n";
    wire += body;
    return wire;
}

std::optional<http::Request> parse_request(std::string_view wire)
{
    bhttp::request_parser<bhttp::string_body> parser;
    // The server's defaults (ServerSettings::max_header_bytes); the body is bounded by max_len.
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    boost::asio::const_buffer rest(wire.data(), wire.size());
    while (rest.size() > 0 && !parser.is_done()) {
        const auto used = parser.put(rest, ec);
        if (ec || used == 0) break;
        rest += used;
    }
    if (ec && ec != bhttp::error::need_more) return std::nullopt;
    // A body that ends with the input (no Content-Length after all) ends at EOF, as on a socket.
    if (!parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return std::nullopt;
    return parser.release();
}

}  // namespace usermgmt::fuzz
