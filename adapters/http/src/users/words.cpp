// The /users style's words: the Express document's field names, its type messages, and
// Django's messages for the value rules (the same rules stand behind both styles).
#include "users/wire.hpp"

namespace usermgmt::http::detail::users {
namespace {

std::string field_name(std::string_view field)
{
    if (field == "first_name") return "firstname";
    if (field == "last_name") return "lastname";
    if (field == "new_password") return "newPassword";
    if (field == "token") return "resettoken";
    if (field == "username" || field == "login") return "email";  // names are derived from the email here
    if (field.empty()) return "body";
    return std::string(field);
}

std::string text(std::string_view field, const Problem& problem)
{
    if (problem.reason == Reason::wrong_type) {
        if (field == "birthdate") return "must be a real date as DD-MM-YYYY or YYYY-MM-DD";
        if (field == "groups") return "must be an array of strings";
        if (field == "limit" || field == "offset") return "must be an integer";
        return "must be a string";
    }
    return django_text(field, problem);
}

}  // namespace

const Words& words()
{
    static const Words w{field_name, text};
    return w;
}

}  // namespace usermgmt::http::detail::users
