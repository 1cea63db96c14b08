#pragma once
// A multipart/form-data parser (RFC 7578) of our own: the whole body is in memory (bounded by
// the body limit), parts are copied out, every limit is explicit.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt::http::detail {

struct MultipartPart {
    std::string name;
    std::optional<std::string> filename;  ///< present for file parts
    std::string content_type;
    std::string data;
};

struct MultipartLimits {
    std::size_t max_parts = 32;
    std::size_t max_header_bytes = 8 * 1024;  ///< of one part's header block
};

/// The boundary of a `multipart/form-data; boundary=…` content type, or nullopt when missing
/// or invalid (RFC 2046: 1 to 70 characters).
std::optional<std::string> multipart_boundary(std::string_view content_type);

/// Parses `body`. On failure returns nullopt and sets `error` to a short reason.
std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body, std::string_view boundary,
                                                          const MultipartLimits& limits, std::string& error);

}  // namespace usermgmt::http::detail
