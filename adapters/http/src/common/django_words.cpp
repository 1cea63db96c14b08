// Django's and DRF's messages, as the real Djoser answers them (../shared/reference/).
#include "common/catalogue.hpp"

namespace usermgmt::http::detail {
namespace {

bool is_group_name(std::string_view field)
{
    return field == "name" || field == "groups";
}

std::string number(long long n)
{
    return std::to_string(n);
}

// Django's verbose names of the attributes the similarity validator compares with.
std::string_view verbose_name(std::string_view attribute)
{
    if (attribute == "first_name") return "first name";
    if (attribute == "last_name") return "last name";
    if (attribute == "email") return "email address";
    return attribute;
}

}  // namespace

std::string django_text(std::string_view field, const Problem& p)
{
    switch (p.reason) {
    case Reason::required: return "This field is required.";
    case Reason::blank: return is_group_name(field) ? "A group name may not be blank." : "This field may not be blank.";
    case Reason::null_value: return "This field may not be null.";
    case Reason::wrong_type: return "Not a valid string.";
    case Reason::null_character: return "Null characters are not allowed.";
    case Reason::too_long:
        if (is_group_name(field)) return "A group name may have at most " + number(p.limit) + " characters.";
        return "Ensure this field has no more than " + number(p.limit) + " characters.";
    case Reason::below_minimum: return "Ensure this value is greater than or equal to " + number(p.limit) + ".";
    case Reason::invalid_email: return "Enter a valid email address.";
    case Reason::invalid_username:
        return "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
    case Reason::invalid_characters:
        if (is_group_name(field)) return "A group name may not hold control characters or invalid UTF-8.";
        if (field == "first_name" || field == "last_name")
            return "Enter a valid name. Control characters and invalid UTF-8 are not allowed.";
        return "Enter a valid value. Control characters and invalid UTF-8 are not allowed.";
    case Reason::invalid_date: return "Enter a valid date.";
    case Reason::date_in_future: return "Birthdate cannot be in the future.";
    case Reason::taken:
        if (field == "email") return "user with this email already exists.";
        if (field == "name") return "group with this name already exists.";
        return "A user with that username already exists.";
    case Reason::passwords_mismatch: return "The two password fields didn't match.";
    case Reason::wrong_password: return "Invalid password.";
    case Reason::too_many: return "A user may belong to at most " + number(p.limit) + " groups.";
    case Reason::unknown_user: return "Invalid user id or user doesn't exist.";
    case Reason::invalid_token: return "Invalid token for given user.";
    case Reason::password_not_utf8: return "Enter a valid password. It must be UTF-8 text.";
    case Reason::password_too_long:
        return "This password is too long. It must contain at most " + number(p.limit) + " characters.";
    case Reason::password_too_similar: return "The password is too similar to the " + std::string(verbose_name(p.detail)) + ".";
    case Reason::password_too_short:
        return "This password is too short. It must contain at least " + number(p.limit) +
               (p.limit == 1 ? " character." : " characters.");
    case Reason::password_too_common: return "This password is too common.";
    case Reason::password_numeric: return "This password is entirely numeric.";
    case Reason::uploads_disabled: return "Avatar uploads are not enabled on this server.";
    case Reason::file_too_large: return "The image is too large. It may have at most " + number(p.limit) + " bytes.";
    case Reason::not_an_image:
        return "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";
    case Reason::empty_file: return "The submitted file is empty.";
    }
    return "Invalid value.";
}

}  // namespace usermgmt::http::detail
