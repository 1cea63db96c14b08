#include "common/error_status.hpp"

#include <algorithm>

namespace usermgmt::http::detail {

const HttpError& http_error(Errc code) noexcept
{
    // DRF reports unique clashes as field errors (400); the /users document answers 409.
    static constexpr HttpError invalid{400, 400, false};
    static constexpr HttpError not_found{404, 404, false};
    static constexpr HttpError exists{400, 409, false};
    static constexpr HttpError unauthorized{401, 401, false};
    static constexpr HttpError forbidden{403, 403, false};
    static constexpr HttpError throttled{429, 429, true};
    static constexpr HttpError unavailable{503, 503, true};
    static constexpr HttpError server_error{500, 500, false};
    switch (code) {
    case Errc::invalid_argument: return invalid;
    case Errc::not_found: return not_found;
    case Errc::already_exists: return exists;
    case Errc::invalid_credentials:
    case Errc::inactive_account:
    case Errc::token_invalid:
    case Errc::token_expired:
    case Errc::token_wrong_type: return unauthorized;
    case Errc::stale_token:
    case Errc::forbidden: return forbidden;
    case Errc::rate_limited: return throttled;
    // A locked, full or read-only database, or hashing out of memory: try again later.
    case Errc::storage_failure:
    case Errc::crypto_failure: return unavailable;
    case Errc::bad_config:
    case Errc::internal: return server_error;
    }
    return server_error;
}

Response with_status(Response response, Errc code, Column column, long long retry_after)
{
    const auto& row = http_error(code);
    response.result(column == Column::auth ? row.auth_status : row.users_status);
    if (row.retry_after) response.set(boost::beast::http::field::retry_after, std::to_string(std::max(1LL, retry_after)));
    return response;
}

long long retry_after_seconds(const Error& error) noexcept
{
    return error.retry_after_seconds > 0 ? error.retry_after_seconds : 1;
}

std::string seconds_phrase(long long seconds)
{
    return std::to_string(seconds) + (seconds == 1 ? " second." : " seconds.");
}

}  // namespace usermgmt::http::detail
