// Each route style's words for the core's coded problems: the texts the core's tests asserted
// before the core reported codes (Django's messages), now asserted where they are made.
#include "auth/wire.hpp"
#include "users/wire.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt;
using namespace usermgmt::http::detail;

namespace {

std::string auth_text(std::string_view field, Reason reason, long long limit = 0, std::string detail = {})
{
    return auth::words().text(field, Problem{reason, limit, std::move(detail)});
}

std::string users_text(std::string_view field, Reason reason, long long limit = 0)
{
    return users::words().text(field, Problem{reason, limit, {}});
}

}  // namespace

TEST_CASE("The /auth words are Django's - field by field", "[catalogue]")
{
    CHECK(auth_text("username", Reason::blank) == "This field may not be blank.");
    CHECK(auth_text("email", Reason::required) == "This field is required.");
    CHECK(auth_text("email", Reason::null_value) == "This field may not be null.");
    CHECK(auth_text("username", Reason::wrong_type) == "Not a valid string.");
    CHECK(auth_text("email", Reason::wrong_type) == "Enter a valid email address.");
    CHECK(auth_text("avatar", Reason::wrong_type) ==
          "The submitted data was not a file. Check the encoding type on the form.");
    CHECK(auth_text("username", Reason::null_character) == "Null characters are not allowed.");
    CHECK(auth_text("first_name", Reason::too_long, 150) == "Ensure this field has no more than 150 characters.");
    CHECK(auth_text("email", Reason::too_long, 254) == "Ensure this field has no more than 254 characters.");
    CHECK(auth_text("limit", Reason::below_minimum, 1) == "Ensure this value is greater than or equal to 1.");
    CHECK(auth_text("email", Reason::invalid_email) == "Enter a valid email address.");
    CHECK(auth_text("username", Reason::invalid_username) ==
          "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.");
    CHECK(auth_text("first_name", Reason::invalid_characters) ==
          "Enter a valid name. Control characters and invalid UTF-8 are not allowed.");
    CHECK(auth_text("avatar", Reason::invalid_characters) ==
          "Enter a valid value. Control characters and invalid UTF-8 are not allowed.");
    CHECK(auth_text("birthdate", Reason::invalid_date) == "Enter a valid date.");
    CHECK(auth_text("birthdate", Reason::date_in_future) == "Birthdate cannot be in the future.");
    CHECK(auth_text("username", Reason::taken) == "A user with that username already exists.");
    CHECK(auth_text("new_username", Reason::taken) == "A user with that username already exists.");
    CHECK(auth_text("email", Reason::taken) == "user with this email already exists.");
    CHECK(auth_text("name", Reason::taken) == "group with this name already exists.");
    CHECK(auth_text("", Reason::passwords_mismatch) == "The two password fields didn't match.");
    CHECK(auth_text("current_password", Reason::wrong_password) == "Invalid password.");
    CHECK(auth_text("groups", Reason::too_many, 100) == "A user may belong to at most 100 groups.");
    CHECK(auth_text("user", Reason::unknown_user) == "Invalid user id or user doesn't exist.");
    CHECK(auth_text("token", Reason::invalid_token) == "Invalid token for given user.");
}

TEST_CASE("The /auth words for passwords, groups and images", "[catalogue]")
{
    CHECK(auth_text("password", Reason::password_not_utf8) == "Enter a valid password. It must be UTF-8 text.");
    CHECK(auth_text("password", Reason::password_too_long, 64) ==
          "This password is too long. It must contain at most 64 characters.");
    CHECK(auth_text("password", Reason::password_too_similar, 0, "username") ==
          "The password is too similar to the username.");
    CHECK(auth_text("password", Reason::password_too_similar, 0, "first_name") ==
          "The password is too similar to the first name.");
    CHECK(auth_text("password", Reason::password_too_similar, 0, "last_name") ==
          "The password is too similar to the last name.");
    CHECK(auth_text("password", Reason::password_too_similar, 0, "email") ==
          "The password is too similar to the email address.");
    CHECK(auth_text("password", Reason::password_too_short, 8) ==
          "This password is too short. It must contain at least 8 characters.");
    CHECK(auth_text("password", Reason::password_too_short, 1) ==
          "This password is too short. It must contain at least 1 character.");
    CHECK(auth_text("password", Reason::password_too_common) == "This password is too common.");
    CHECK(auth_text("password", Reason::password_numeric) == "This password is entirely numeric.");
    CHECK(auth_text("name", Reason::blank) == "A group name may not be blank.");
    CHECK(auth_text("groups", Reason::too_long, 150) == "A group name may have at most 150 characters.");
    CHECK(auth_text("groups", Reason::invalid_characters) == "A group name may not hold control characters or invalid UTF-8.");
    CHECK(auth_text("avatar", Reason::uploads_disabled) == "Avatar uploads are not enabled on this server.");
    CHECK(auth_text("avatar", Reason::file_too_large, 5242880) ==
          "The image is too large. It may have at most 5242880 bytes.");
    CHECK(auth_text("avatar", Reason::not_an_image) ==
          "Upload a valid image. The file you uploaded was either not an image or a corrupted image.");
    CHECK(auth_text("avatar", Reason::empty_file) == "The submitted file is empty.");
}

TEST_CASE("Every reason has words in each style", "[catalogue]")
{
    for (int r = 0; r <= static_cast<int>(Reason::empty_file); ++r) {
        const Problem p{static_cast<Reason>(r), 3, "username"};
        CHECK(auth::words().text("field", p) != "Invalid value.");
        CHECK(users::words().text("field", p) != "Invalid value.");
        CHECK_FALSE(auth::words().text("field", p).empty());
    }
}

TEST_CASE("Each style names the core's fields its own way", "[catalogue]")
{
    const auto& a = auth::words();
    CHECK(a.field_name("password_retype") == "re_password");
    CHECK(a.field_name("new_password_retype") == "re_new_password");
    CHECK(a.field_name("user") == "uid");
    CHECK(a.field_name("login") == "username");
    CHECK(a.field_name("") == "non_field_errors");
    CHECK(a.field_name("first_name") == "first_name");
    const auto& u = users::words();
    CHECK(u.field_name("first_name") == "firstname");
    CHECK(u.field_name("last_name") == "lastname");
    CHECK(u.field_name("new_password") == "newPassword");
    CHECK(u.field_name("token") == "resettoken");
    CHECK(u.field_name("username") == "email");
    CHECK(u.field_name("login") == "email");
    CHECK(u.field_name("email") == "email");

    CHECK(users_text("firstname", Reason::wrong_type) == "must be a string");
    CHECK(users_text("birthdate", Reason::wrong_type) == "must be a real date as DD-MM-YYYY or YYYY-MM-DD");
    CHECK(users_text("groups", Reason::wrong_type) == "must be an array of strings");
    CHECK(users_text("limit", Reason::wrong_type) == "must be an integer");
    CHECK(users_text("email", Reason::taken) == "user with this email already exists.");

    // Two core fields that one style names alike are shown as one field.
    FieldErrors both;
    both.add("username", Reason::taken);
    both.add("email", Reason::invalid_email);
    const auto shown = show(both, u);
    REQUIRE(shown.size() == 1);
    CHECK(shown[0].field == "email");
    CHECK(shown[0].texts.size() == 2);
}
