// The /auth style's words: Djoser's field names and Django's messages.
#include "auth/wire.hpp"

namespace usermgmt::http::detail::auth {
namespace {

std::string field_name(std::string_view field)
{
    if (field == "password_retype") return "re_password";
    if (field == "new_password_retype") return "re_new_password";
    if (field == "user") return "uid";
    if (field == "login") return "username";  // simplejwt's field, whatever the login matches
    if (field.empty()) return "non_field_errors";
    return std::string(field);
}

std::string text(std::string_view field, const Problem& problem)
{
    if (problem.reason == Reason::wrong_type) {
        // DRF's EmailField and ImageField say so in their own words.
        if (field == "email") return "Enter a valid email address.";
        if (field == "avatar") return "The submitted data was not a file. Check the encoding type on the form.";
        if (field == "is_active" || field == "is_staff") return "Must be a valid boolean.";
        if (field == "groups") return "Expected a list of group names.";
    }
    return django_text(field, problem);
}

}  // namespace

const Words& words()
{
    static const Words w{field_name, text};
    return w;
}

}  // namespace usermgmt::http::detail::auth
