#pragma once
// The one table from core error codes to HTTP, for every route style.

#include "usermgmt/error.hpp"
#include "usermgmt/http/message.hpp"

#include <string>
#include <string_view>

namespace usermgmt::http::detail {

struct HttpError {
    unsigned auth_status;   ///< the /auth style's status (Djoser/DRF)
    unsigned users_status;  ///< the /users style's status (the Express document)
    bool retry_after;       ///< send Retry-After (the condition is temporary)
};

/// The row of `code`.
const HttpError& http_error(Errc code) noexcept;

/// The two columns.
enum class Column { auth, users };

/// `response` with the status of `code` in `column` and, when its row says so, Retry-After:
/// `retry_after` seconds (at least one). Every error answer of a style passes here, the
/// handler's 503s (full queues, /healthz) included.
Response with_status(Response response, Errc code, Column column, long long retry_after = 1);

/// The Retry-After of an error whose row has one: the error's own wait, else one second.
long long retry_after_seconds(const Error& error) noexcept;

/// "1 second." or "N seconds.", for the throttling messages.
std::string seconds_phrase(long long seconds);

}  // namespace usermgmt::http::detail
