#include "validation.hpp"

#include "support/problems.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt;
using namespace usermgmt::detail;
using usermgmt::test::described;

TEST_CASE("Email syntax follows Django's EmailValidator", "[validation]")
{
    for (const char* good : {"a@example.com", "first.last+tag@sub.example.co.uk", "x@localhost", "o'neil@example.org",
                             "\"quoted local\"@example.com", "a@[127.0.0.1]", "a@[IPv6:::1]", "a@xn--bcher-kva.example"})
        CHECK(is_valid_email(good));
    for (const char* bad : {"", "plain", "@example.com", "a@", "a@b", "a..b@example.com", ".a@example.com",
                            "a.@example.com", "a@-example.com", "a@example-.com", "a@example.c", "a b@example.com",
                            "a@exa mple.com", "a@[999.0.0.1]", "a@example.com\n", "ü@example.com"})
        CHECK_FALSE(is_valid_email(bad));
    CHECK_FALSE(is_valid_email(std::string(250, 'a') + "@example.com"));
}

TEST_CASE("Emails are normalised by lower-casing the domain only", "[validation]")
{
    CHECK(normalize_email("John.Doe@Example.COM") == "John.Doe@example.com");
}

TEST_CASE("Username rules and messages", "[validation]")
{
    FieldErrors e;
    check_username("username", "alice.b+c-d_e@x", e);
    CHECK(e.empty());
    check_username("username", "bad name!", e);
    REQUIRE(e.find("username"));
    CHECK(described(*e.find("username")).front() ==
          "invalid_username");
    FieldErrors longer;
    check_username("username", std::string(151, 'a'), longer);
    CHECK(described(*longer.find("username")).front() == "too_long:150");
    FieldErrors blank;
    check_username("username", "", blank);
    CHECK(described(*blank.find("username")).front() == "blank");
}

TEST_CASE("Names - avatars and birthdates are bounded and clean", "[validation]")
{
    FieldErrors e;
    check_name("first_name", std::string(150, 'x'), e);
    check_name("first_name", "Zoë", e);
    CHECK(e.empty());
    check_name("first_name", std::string(151, 'x'), e);
    check_name("last_name", std::string("a\0b", 3), e);
    check_name("last_name", "\xff\xfe", e);
    CHECK(e.find("first_name"));
    CHECK(e.find("last_name")->size() == 2);

    FieldErrors d;
    check_birthdate("birthdate", Date{2000, 1, 1}, Date{2026, 1, 1}, d);
    CHECK(d.empty());
    check_birthdate("birthdate", Date{2026, 1, 2}, Date{2026, 1, 1}, d);
    CHECK(described(*d.find("birthdate")).front() == "date_in_future");
    FieldErrors a;
    check_avatar_text("avatar", std::string(2000, 'a'), a);
    CHECK(a.find("avatar"));
}

TEST_CASE("UTF-8 checks refuse overlong forms and surrogates", "[validation]")
{
    CHECK(is_clean_text("plain"));
    CHECK(is_clean_text("\xe2\x82\xac"));     // €
    CHECK_FALSE(is_clean_text("\xc0\xaf"));   // overlong '/'
    CHECK_FALSE(is_clean_text("\xed\xa0\x80"));  // surrogate
    CHECK_FALSE(is_clean_text("\xe2\x82"));   // truncated
    CHECK(utf8_length("Zoë") == 3);
}
