#pragma once
// GET /openapi.json: the OpenAPI 3.1 document of both route styles. Its one source is
// docs/openapi.json, embedded at build time (openapi_document.cpp.in); the handler serves it with
// the configured prefixes in place of the default ones.

#include "usermgmt/http/message.hpp"
#include "usermgmt/http/settings.hpp"

#include <string>
#include <string_view>

namespace usermgmt::http::detail {

/// Where the document is served.
inline constexpr std::string_view openapi_path = "/openapi.json";

/// docs/openapi.json as it was at build time: paths under the default prefixes `/auth/` and `/users`.
std::string_view embedded_openapi_document() noexcept;

/// The document for `settings` (prefixes already normalised as the handler does: `auth_prefix`
/// ending in '/', `users_prefix` without one): the embedded text itself for the default prefixes,
/// else with every path key (and the `x-usermgmt-routing` prefixes) moved under the configured
/// ones; a style whose prefix is empty is left out. Made once, when the handler is built.
std::string openapi_document(const HttpSettings& settings);

/// 200 with `document` as `application/json`.
Response openapi_response(const std::string& document, const Request& request);

}  // namespace usermgmt::http::detail
