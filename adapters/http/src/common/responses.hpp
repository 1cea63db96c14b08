#pragma once
// Building responses, shared by every route style.

#include "usermgmt/http/message.hpp"
#include "usermgmt/types.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace usermgmt::http::detail {

namespace beast_http = boost::beast::http;

/// A JSON response (compact, UTF-8, `application/json`).
Response json_response(unsigned status, const boost::json::value& body, const Request& request);
/// A response without a body and without Content-Type (DRF's 204s and empty 400s).
Response empty_response(unsigned status, const Request& request);
/// `{"detail": text}`.
Response detail_response(unsigned status, std::string_view text, const Request& request);
/// Django's APPEND_SLASH redirect to `location`: a 301 with an empty HTML body and only the
/// security middleware's headers (CommonMiddleware answers before the inner middleware runs).
Response append_slash_redirect(std::string location, const Request& request);

/// ISO 8601 UTC as DRF renders datetimes: microseconds unless they are zero, `Z` suffix.
std::string iso8601_drf(TimePoint t);
/// ISO 8601 UTC with milliseconds (`2000-01-01T00:00:00.000Z`), as JavaScript's toISOString.
std::string iso8601_millis(TimePoint t);

/// The path of a target (without `?query`), and its query string (without `?`).
std::string_view path_of(std::string_view target) noexcept;
std::string_view query_of(std::string_view target) noexcept;

}  // namespace usermgmt::http::detail
