#pragma once
// The /auth style's wire rules, as Djoser, DRF and simplejwt have them: how fields are read,
// how users and errors are rendered (in the words of auth/words.cpp), how the Authorization
// header is understood.

#include "common/catalogue.hpp"
#include "common/endpoints.hpp"
#include "common/responses.hpp"

#include <boost/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace usermgmt::http::detail::auth {

/// This style's words (auth/words.cpp).
const Words& words();

/// Reads CharFields from a body as DRF does: numbers become text, whitespace is trimmed, and
/// missing, null and wrongly typed values are recorded in `problems` (under the wire names).
class Fields {
public:
    explicit Fields(const boost::json::object& data) : data_(data) {}

    /// A required field; "" when it is missing or unusable (the problem is recorded), so the
    /// core reports it in the same pass as the other fields' errors.
    std::string required(std::string_view name);
    /// A required field that may not be blank either (for the endpoints whose core call does
    /// not check blanks itself).
    std::string required_not_blank(std::string_view name);
    /// An optional field; nullopt when missing. A problem sets `optional_problem`.
    std::optional<std::string> optional(std::string_view name);
    [[nodiscard]] bool present(std::string_view name) const { return data_.contains(name); }
    [[nodiscard]] const boost::json::value* raw(std::string_view name) const { return data_.if_contains(name); }

    FieldErrors problems;
    bool optional_problem = false;

private:
    std::optional<std::string> read(std::string_view name, bool required);
    const boost::json::object& data_;
};

/// The body as an object, or the answer for a body DRF would refuse (415, a JSON parse error,
/// a multipart parse error, "Expected a dictionary").
BodyObject body_object(Call& call);

/// The user a Djoser link names by its uid ("" is blank, a uid that decodes to no id names none).
NamedUser named_user(std::string_view uid);

/// 400 with just these field errors, ordered as the serializer lists its fields.
Response field_errors(const FieldErrors& problems, std::initializer_list<std::string_view> order, const Call& call);

/// The answer for a core error. Field errors are ordered by `order`, and a field's shape
/// problem (required, null, not a string) takes the place of the core's message for it.
Response error(Error error, const Call& call, std::initializer_list<std::string_view> order = {},
               const FieldErrors& problems = {});
/// `error` without field order, as the route table's throttling renders it.
Response error_for(Error error, const Call& call);
/// The answer of jwt/refresh and jwt/verify for a token error.
Response token_error(const Error& error, const Call& call);

/// Users as Djoser's serializers write them.
boost::json::object user_json(const User& user, const HttpSettings& settings);
boost::json::object created_user_json(const User& user, const HttpSettings& settings);

/// The result of reading the Authorization header: no credentials, a principal, or a 401.
Authentication authenticate(const Request& request, const UserService& service);

/// 401 "Authentication credentials were not provided."
Response not_authenticated(const Request& request);

}  // namespace usermgmt::http::detail::auth
