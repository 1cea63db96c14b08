#include "common/request_body.hpp"

#include "common/multipart.hpp"
#include "common/text.hpp"

namespace usermgmt::http::detail {
namespace {

std::string_view media_type(std::string_view content_type)
{
    return trim_ascii(content_type.substr(0, content_type.find(';')));
}

// "line 1 column 2 (char 1)", as Python's json module places its errors.
std::string position_of(std::string_view text, std::size_t offset)
{
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + " column " + std::to_string(column) + " (char " + std::to_string(offset) + ")";
}

std::variant<Body, BodyProblem> parse_json(std::string_view text, const BodyLimits& limits)
{
    boost::json::parse_options options;
    options.max_depth = limits.max_json_depth;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    const std::size_t used = parser.write_some(text.data(), text.size(), ec);
    // write_some stops after one whole value: anything after it is extra data.
    if (!ec && used != text.size()) ec = boost::json::error::extra_data;
    if (!ec) parser.finish(ec);
    if (ec) {
        return BodyProblem{BodyProblem::Kind::json_parse_error, ec.message() + ": " + position_of(text, used)};
    }
    Body body;
    body.data = parser.release();
    return body;
}

}  // namespace

bool is_multipart(std::string_view content_type)
{
    return iequals(media_type(content_type), "multipart/form-data");
}

std::vector<std::pair<std::string, std::string>> parse_urlencoded(std::string_view text)
{
    std::vector<std::pair<std::string, std::string>> pairs;
    while (!text.empty()) {
        const auto amp = text.find('&');
        const auto item = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
        if (item.empty()) continue;
        const auto eq = item.find('=');
        pairs.emplace_back(percent_decode(item.substr(0, eq), true),
                           eq == std::string_view::npos ? std::string() : percent_decode(item.substr(eq + 1), true));
    }
    return pairs;
}

std::variant<Body, BodyProblem> parse_body(const boost::beast::http::request<boost::beast::http::string_body>& request,
                                           const BodyLimits& limits)
{
    const std::string_view text = request.body();
    if (text.empty()) return Body{};
    const std::string_view content_type = request[boost::beast::http::field::content_type];
    const auto type = media_type(content_type);

    if (iequals(type, "application/json")) return parse_json(text, limits);

    Body body;
    auto& fields = body.data.as_object();
    if (iequals(type, "application/x-www-form-urlencoded")) {
        // A repeated key keeps its last value, as Django's QueryDict does for one field.
        for (auto& [key, value] : parse_urlencoded(text)) fields[key] = value;
        return body;
    }
    if (iequals(type, "multipart/form-data")) {
        const auto boundary = multipart_boundary(content_type);
        if (!boundary) return BodyProblem{BodyProblem::Kind::multipart_parse_error, "Invalid boundary in multipart: None"};
        std::string error;
        auto parts = parse_multipart(text, *boundary, MultipartLimits{limits.max_parts, 8 * 1024}, error);
        if (!parts) return BodyProblem{BodyProblem::Kind::multipart_parse_error, error};
        for (auto& part : *parts) {
            // A file input left empty sends filename="": Django skips such a part altogether.
            if (part.filename && part.filename->empty()) continue;
            if (part.filename) {
                body.files.push_back(UploadedFile{part.name, *part.filename, part.content_type, std::move(part.data)});
            } else {
                fields[part.name] = std::move(part.data);
            }
        }
        return body;
    }
    return BodyProblem{BodyProblem::Kind::unsupported_media_type, std::string(type)};
}

}  // namespace usermgmt::http::detail
