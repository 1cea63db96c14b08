#include "common/multipart.hpp"

#include "common/text.hpp"

namespace usermgmt::http::detail {
namespace {

// The value of `key` in a header's parameters (`form-data; name="a"; filename="b.png"`).
std::optional<std::string> header_parameter(std::string_view value, std::string_view key)
{
    std::size_t pos = value.find(';');
    while (pos != std::string_view::npos) {
        ++pos;
        while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
        const auto eq = value.find('=', pos);
        if (eq == std::string_view::npos) return std::nullopt;
        const auto name = trim_ascii(value.substr(pos, eq - pos));
        std::size_t start = eq + 1;
        std::string parsed;
        std::size_t next;
        if (start < value.size() && value[start] == '"') {
            // A quoted string; backslash escapes the next character.
            std::size_t i = start + 1;
            for (; i < value.size() && value[i] != '"'; ++i) {
                if (value[i] == '\\' && i + 1 < value.size()) ++i;
                parsed += value[i];
            }
            if (i >= value.size()) return std::nullopt;  // unterminated
            next = value.find(';', i + 1);
        } else {
            next = value.find(';', start);
            parsed = std::string(trim_ascii(value.substr(start, next == std::string_view::npos ? next : next - start)));
        }
        if (iequals(name, key)) return parsed;
        pos = next;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type)
{
    auto boundary = header_parameter(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
    return boundary;
}

std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                          const MultipartLimits& limits, std::string& error)
{
    const std::string delimiter = "--" + std::string(boundary);
    std::vector<MultipartPart> parts;

    // The first delimiter may follow a preamble; it must start a line.
    std::size_t pos = body.substr(0, delimiter.size()) == delimiter ? 0 : body.find("\r\n" + delimiter);
    if (pos == std::string_view::npos) {
        error = "no opening boundary";
        return std::nullopt;
    }
    pos += pos == 0 ? delimiter.size() : delimiter.size() + 2;

    while (true) {
        // After a delimiter: "--" closes the body, CRLF starts a part.
        if (body.substr(pos, 2) == "--") return parts;
        // Some clients put spaces before the CRLF (RFC 2046 transport padding).
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
        if (body.substr(pos, 2) != "\r\n") {
            error = "malformed boundary line";
            return std::nullopt;
        }
        pos += 2;
        if (parts.size() == limits.max_parts) {
            error = "too many parts";
            return std::nullopt;
        }

        const auto header_end = body.find("\r\n\r\n", pos);
        if (header_end == std::string_view::npos || header_end - pos > limits.max_header_bytes) {
            error = header_end == std::string_view::npos ? "truncated part headers" : "part headers too large";
            return std::nullopt;
        }
        MultipartPart part;
        bool has_disposition = false;
        std::string_view headers = body.substr(pos, header_end - pos);
        while (!headers.empty()) {
            const auto eol = headers.find("\r\n");
            const auto line = headers.substr(0, eol);
            headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
            const auto colon = line.find(':');
            if (colon == std::string_view::npos) {
                error = "malformed part header";
                return std::nullopt;
            }
            const auto name = trim_ascii(line.substr(0, colon));
            const auto value = trim_ascii(line.substr(colon + 1));
            if (iequals(name, "Content-Disposition")) {
                const auto semicolon = value.find(';');
                if (!iequals(trim_ascii(value.substr(0, semicolon)), "form-data")) {
                    error = "part is not form-data";
                    return std::nullopt;
                }
                auto field = header_parameter(value, "name");
                if (!field) {
                    error = "part without a name";
                    return std::nullopt;
                }
                part.name = std::move(*field);
                part.filename = header_parameter(value, "filename");
                has_disposition = true;
            } else if (iequals(name, "Content-Type")) {
                part.content_type = std::string(value);
            }
        }
        if (!has_disposition) {
            error = "part without Content-Disposition";
            return std::nullopt;
        }

        const auto data_start = header_end + 4;
        const auto data_end = body.find("\r\n" + delimiter, data_start);
        if (data_end == std::string_view::npos) {
            error = "truncated part";
            return std::nullopt;
        }
        part.data = std::string(body.substr(data_start, data_end - data_start));
        parts.push_back(std::move(part));
        pos = data_end + 2 + delimiter.size();
    }
}

}  // namespace usermgmt::http::detail
