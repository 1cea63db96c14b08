#pragma once
// What the endpoints of both styles share: the shapes their wire helpers return, and the rules
// that are the same on every route (ids in paths, where avatar files are served).

#include "common/routing.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace usermgmt::http::detail {

/// The body as an object, or the style's answer for a body it refuses (415, a parse error,
/// not an object).
struct BodyObject {
    const boost::json::object* object = nullptr;
    std::optional<Response> answer;
};

/// The result of reading a request's credentials: no credentials, a principal, or the answer
/// (401, or 503 when the store could not say).
struct Authentication {
    std::optional<Principal> principal;
    std::optional<Response> failure;
};

/// A user id from a path segment: a positive decimal integer, else nullopt (answered 404).
std::optional<UserId> parse_user_id(std::string_view text) noexcept;

/// A JSON array of strings (group names in both styles), else nullopt: each style says in its
/// own words that the value was not one, and decides what null means.
std::optional<std::vector<std::string>> string_list(const boost::json::value& value);

/// A user's avatar as both styles show it: null when none, the media URL of an uploaded file,
/// or the text as given.
boost::json::value avatar_value(const User& user, const HttpSettings& settings);

}  // namespace usermgmt::http::detail
