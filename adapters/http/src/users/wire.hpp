#pragma once
// The /users style's wire rules: `{"message": ...}` errors (with `errors` for fields), user
// objects with string ids and millisecond dates, tokens from Authorization or x-access-token.

#include "common/catalogue.hpp"
#include "common/endpoints.hpp"
#include "common/responses.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace usermgmt::http::detail::users {

/// This style's words (users/words.cpp).
const Words& words();

/// `{"message": text}` with `status`.
Response message(unsigned status, std::string_view text, const Request& request);

/// The answer for a core error: the one status table's /users column, `{"message"}` and, for
/// field errors, `"errors": {field: message}` with the fields under this style's names.
Response error(Error error, const Request& request);
/// The same, as the route table's throttling renders it.
Response error_for(Error error, const Call& call);

/// Reads the fields of a body, recording wrong types in `problems` under this style's names.
class Fields {
public:
    explicit Fields(const boost::json::object& data) : data_(data) {}
    /// A string, or nullopt when missing or null (a wrong type is recorded).
    std::optional<std::string> text(std::string_view name);
    /// A birthdate as DD-MM-YYYY or YYYY-MM-DD; engaged-empty for null; a bad one is recorded.
    std::optional<std::optional<Date>> date(std::string_view name);
    /// An array of strings; a bad one is recorded.
    std::optional<std::vector<std::string>> strings(std::string_view name);
    [[nodiscard]] bool present(std::string_view name) const { return data_.contains(name); }

    FieldErrors problems;

private:
    const boost::json::object& data_;
};

/// The body as an object, or the answer for an unusable body (415, bad JSON, not an object).
BodyObject body_object(Call& call);

/// 400 with the recorded problems.
Response invalid(const FieldErrors& problems, const Request& request);

/// `{_id, email, firstname, lastname, birthdate, avatar, groups, created_at, updated_at}`.
boost::json::object user_json(const User& user, const HttpSettings& settings);

/// The access token of a request (`Authorization: Bearer` or `x-access-token`), or nullopt.
std::optional<std::string> token_of(const Request& request);

/// Authenticates with `token_of`: the principal, or the 401 answer.
Authentication authenticate(const Request& request, const UserService& service);

}  // namespace usermgmt::http::detail::users
