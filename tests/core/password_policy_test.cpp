#include "validation.hpp"

#include "../support/temp_dir.hpp"

#include "support/problems.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace usermgmt;
using namespace usermgmt::detail;
using usermgmt::test::described;

namespace {

std::shared_ptr<const PasswordValidator> validator(PasswordPolicy policy = {})
{
    auto made = PasswordValidator::create(policy);
    REQUIRE(made);
    return *made;
}

}  // namespace

TEST_CASE("Django's messages - in Django's order", "[password]")
{
    auto v = validator();
    // "123": too short, too common, entirely numeric (the reference's example).
    CHECK(described(v->check("123", nullptr)) ==
          std::vector<std::string>{"password_too_short:8",
                                   "password_too_common", "password_numeric"});
    CHECK(described(v->check("password", nullptr)) == std::vector<std::string>{"password_too_common"});
    CHECK(described(v->check("  PassWord ", nullptr)) == std::vector<std::string>{"password_too_common"});
    CHECK(described(v->check("98765432123456789", nullptr)) == std::vector<std::string>{"password_numeric"});
    CHECK(described(v->check("correct-Horse-battery-9", nullptr)).empty());
}

TEST_CASE("The built-in list holds at least 20000 passwords - Django's among them", "[password]")
{
    auto v = validator();
    for (const char* common : {"123456", "qwerty", "iloveyou", "bigpimpin1", "trustno1", "letmein", "dragon"})
        CHECK(described(v->check(common, nullptr)).size() >= 1);
    CHECK(described(v->check("bigpimpin1", nullptr)) == std::vector<std::string>{"password_too_common"});
}

TEST_CASE("Similarity to the user's attributes - as Django computes it", "[password]")
{
    auto v = validator();
    PasswordContext ctx{"johnsmith", "John", "Smith", "john.smith@example.com"};
    CHECK(described(v->check("johnsmith1", &ctx)).front() == "password_too_similar:username");
    PasswordContext names{"u1", "Bartholomew", "", "x@example.com"};
    CHECK(described(v->check("bartholomew9", &names)).front() == "password_too_similar:first_name");
    PasswordContext email{"u2", "", "", "kowalczykowa@example.com"};
    CHECK(described(v->check("kowalczykowa!", &email)).front() == "password_too_similar:email");
    // Unrelated attributes pass.
    CHECK(described(v->check("correct-Horse-battery-9", &ctx)).empty());
    // Without a context (reset confirm) there is no similarity rule.
    CHECK(described(v->check("johnsmith1", nullptr)).empty());
}

TEST_CASE("Length bounds are configurable and the maximum bounds hashing cost", "[password]")
{
    PasswordPolicy policy;
    policy.min_length = 12;
    policy.max_length = 64;
    auto v = validator(policy);
    CHECK(described(v->check("abcdefghij-", nullptr)).front() ==
          "password_too_short:12");
    CHECK(described(v->check(std::string(65, 'z'), nullptr)) ==
          std::vector<std::string>{"password_too_long:64"});
    CHECK(described(v->check("", nullptr)) == std::vector<std::string>{"blank"});
}

TEST_CASE("A custom common-password file replaces the built-in list", "[password]")
{
    test::TempDir dir;
    {
        std::ofstream out(dir / "list.txt");
        out << "hunter2hunter2\nsecretive-one\n";
    }
    PasswordPolicy policy;
    policy.common_passwords_file = (dir / "list.txt").string();
    auto v = validator(policy);
    CHECK(described(v->check("Hunter2Hunter2", nullptr)) == std::vector<std::string>{"password_too_common"});
    CHECK(described(v->check("password1234", nullptr)).empty());

    policy.common_passwords_file = (dir / "missing.txt").string();
    auto missing = PasswordValidator::create(policy);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::bad_config);
}
