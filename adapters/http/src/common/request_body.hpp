#pragma once
// Request bodies as DRF reads them: JSON, form-urlencoded and multipart/form-data become one
// JSON value (form fields as strings) plus the uploaded files.

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace usermgmt::http::detail {

struct UploadedFile {
    std::string field;
    std::string filename;
    std::string content_type;
    std::string data;
};

struct Body {
    /// An object for forms; any JSON value for JSON bodies (the route checks it is an object).
    boost::json::value data = boost::json::object();
    std::vector<UploadedFile> files;
};

struct BodyProblem {
    enum class Kind { unsupported_media_type, json_parse_error, multipart_parse_error } kind;
    /// The media type for 415, or the parser's reason.
    std::string detail;
};

struct BodyLimits {
    std::size_t max_json_depth = 32;
    std::size_t max_parts = 32;
};

/// Parses the request's body by its Content-Type. An empty body is an empty object whatever
/// the type (as DRF does).
std::variant<Body, BodyProblem> parse_body(const boost::beast::http::request<boost::beast::http::string_body>& request,
                                           const BodyLimits& limits);

/// `application/x-www-form-urlencoded` pairs, decoded, in order.
std::vector<std::pair<std::string, std::string>> parse_urlencoded(std::string_view text);

/// True when the Content-Type is multipart/form-data (so the larger upload limit applies).
bool is_multipart(std::string_view content_type);

}  // namespace usermgmt::http::detail
