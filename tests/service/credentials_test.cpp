#include "usermgmt/user_service.hpp"

#include "../support/service_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;

namespace {
const std::string new_password = "Another-Secret-Phrase-8";
}

TEST_CASE("set_password: current - rules - retype - other sessions end", "[service][password]")
{
    ServiceFixture f([](Config& c) { c.send_password_changed_confirmation = true; });
    f.make_user("amy");
    auto mine = f.service->login("amy", good_password);
    auto other = f.service->login("amy", good_password);
    const Principal a = *f.service->authenticate(mine->access);

    auto blank = f.service->set_password(a, PasswordChange{"", "", std::string()});
    CHECK(problems(blank.error(), "current_password").size() == 1);
    CHECK(problems(blank.error(), "new_password").size() == 1);
    CHECK(problems(blank.error(), "new_password_retype").size() == 1);
    CHECK(problems(f.service->set_password(a, PasswordChange{"wrong-pass-1", new_password, new_password}).error(),
                   "current_password") == std::vector<std::string>{"wrong_password"});
    // A wrong current password and blank new ones are reported together (DRF's field phase).
    auto together = f.service->set_password(a, PasswordChange{"wrong-pass-1", "", std::string()});
    CHECK(problems(together.error(), "current_password") == std::vector<std::string>{"wrong_password"});
    CHECK(problems(together.error(), "new_password") == std::vector<std::string>{"blank"});
    CHECK(problems(f.service->set_password(a, PasswordChange{good_password, "amy@example", "amy@example"}).error(),
                   "new_password")
              .front() == "password_too_similar:email");
    CHECK(problems(f.service->set_password(a, PasswordChange{good_password, "amy1", "amy1"}).error(),
                   "new_password")
              .front() == "password_too_similar:username");
    CHECK(problems(f.service->set_password(a, PasswordChange{good_password, new_password, "different-Pass-9"}).error(),
                   "") == std::vector<std::string>{"passwords_mismatch"});
    CHECK(f.service->login("amy", good_password));  // nothing changed yet

    REQUIRE(f.service->set_password(a, PasswordChange{good_password, new_password, new_password}));
    CHECK(f.service->authenticate(mine->access));  // the session that changed it keeps working
    CHECK(f.service->authenticate(other->access).error().code == Errc::token_invalid);
    CHECK(f.service->refresh(other->refresh).error().code == Errc::token_invalid);
    CHECK(f.service->login("amy", new_password));
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    CHECK(f.notifier->last(NotificationKind::password_changed, "amy@example.com"));
    // Without a retype (a style that has none), the change goes through as well.
    REQUIRE(f.service->set_password(a, PasswordChange{new_password, good_password, std::nullopt}));
}

TEST_CASE("A password change kills pending reset links, of both kinds", "[service][password][reset]")
{
    // As in Djoser, whose reset tokens hash the password: a changed password ends them all.
    ServiceFixture f;
    f.make_user("amy");
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const auto code = f.last_code(NotificationKind::password_reset, "amy@example.com");
    REQUIRE(f.service->request_username_reset("amy@example.com"));
    const auto name_code = f.last_code(NotificationKind::username_reset, "amy@example.com");
    REQUIRE(f.service->check_password_reset(code));

    SECTION("set_password")
    {
        REQUIRE(f.service->set_password(f.principal_of("amy"), PasswordChange{good_password, new_password, std::nullopt}));
        CHECK(problems(f.service->check_password_reset(code).error(), "token") ==
              std::vector<std::string>{"invalid_token"});
    }
    SECTION("another reset link's confirm")
    {
        REQUIRE(f.service->request_password_reset("amy@example.com"));
        const auto newer = f.last_code(NotificationKind::password_reset, "amy@example.com");
        REQUIRE(f.service->confirm_password_reset(newer, new_password, std::nullopt));
    }
    CHECK(problems(f.service->confirm_username_reset(name_code, "amelia").error(), "token") ==
          std::vector<std::string>{"invalid_token"});
    CHECK(f.service->login("amy", new_password));
}

TEST_CASE("set_username: both fields' errors together - then the new name logs in", "[service][username]")
{
    ServiceFixture f;
    f.make_user("amy");
    f.make_user("ben");
    const Principal a = f.principal_of("amy");
    auto both = f.service->set_username(a, "BEN", "wrong-pass-1");
    REQUIRE_FALSE(both);
    CHECK(problems(both.error(), "new_username") == std::vector<std::string>{"taken"});
    CHECK(problems(both.error(), "current_password") == std::vector<std::string>{"wrong_password"});
    CHECK(problems(f.service->set_username(a, "bad name", good_password).error(), "new_username").size() == 1);
    CHECK(problems(f.service->set_username(a, "", "").error(), "current_password") ==
          std::vector<std::string>{"blank"});
    REQUIRE(f.service->set_username(a, "amelia", good_password));
    CHECK(f.service->login("amelia", good_password));
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    CHECK(problems(f.service->set_username(a, "amelia", good_password).error(), "new_username") ==
          std::vector<std::string>{"taken"});  // the same name
    REQUIRE(f.service->set_username(a, "AMELIA", good_password));  // own name in another case
}

TEST_CASE("Reset requests reveal nothing and mail only active accounts", "[service][reset]")
{
    ServiceFixture f;
    f.make_user("amy");
    NewUser pending;
    pending.username = "pending";
    pending.email = "pending@example.com";
    pending.password = good_password;
    REQUIRE(f.service->register_user(pending));
    const auto before = f.notifier->sent().size();
    REQUIRE(f.service->request_password_reset("nobody@example.com"));
    REQUIRE(f.service->request_password_reset("pending@example.com"));
    CHECK(f.notifier->sent().size() == before);
    REQUIRE(f.service->request_password_reset("AMY@example.com"));
    CHECK(f.notifier->sent().size() == before + 1);
    CHECK(problems(f.service->request_password_reset("nope").error(), "email") ==
          std::vector<std::string>{"invalid_email"});
    REQUIRE(f.service->request_username_reset("nobody@example.com"));
    CHECK(problems(f.service->request_username_reset("").error(), "email").size() == 1);
}

TEST_CASE("Reset confirm: password first - then uid - then token - single use", "[service][reset]")
{
    ServiceFixture f;
    f.make_user("amy");
    auto session = f.service->login("amy", good_password);
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const auto code = f.last_code(NotificationKind::password_reset, "amy@example.com");

    // Blank uid and token come first, whatever the password (DRF's field phase)...
    auto blanks = f.service->confirm_password_reset(OneTimeCode{NamedUser{std::nullopt, true}, ""}, "123", std::string("456"));
    CHECK(problems(blanks.error(), "user") == std::vector<std::string>{"blank"});
    CHECK(problems(blanks.error(), "token") == std::vector<std::string>{"blank"});
    CHECK(problems(blanks.error(), "new_password").empty());
    // ...then a weak password is reported even with a bad uid (Djoser's order).
    CHECK(problems(f.service->confirm_password_reset(OneTimeCode{NamedUser{}, code.token}, "123", std::nullopt).error(),
                   "new_password")
              .size() == 3);
    CHECK(problems(f.service->confirm_password_reset(code, new_password, std::string("other-Pass-77")).error(),
                   "")
              .size() == 1);
    CHECK(problems(f.service->confirm_password_reset(OneTimeCode{NamedUser{}, code.token}, new_password, new_password).error(),
                   "user") == std::vector<std::string>{"unknown_user"});
    CHECK(problems(f.service->confirm_password_reset(OneTimeCode{code.user, std::string(64, 'f')}, new_password,
                                                     new_password)
                       .error(),
                   "token") == std::vector<std::string>{"invalid_token"});

    REQUIRE(f.service->confirm_password_reset(code, new_password, new_password));
    CHECK(f.service->login("amy", new_password));
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    // Every session ends with a reset.
    CHECK(f.service->authenticate(session->access).error().code == Errc::token_invalid);
    // Used once, dead after.
    CHECK(problems(f.service->confirm_password_reset(code, "Third-Secret-Phrase-9", std::nullopt).error(), "token")
              .size() == 1);
    CHECK(f.service->check_password_reset(code).error().code == Errc::invalid_argument);
}

TEST_CASE("Reset tokens expire and work without a uid for the /users style", "[service][reset]")
{
    ServiceFixture f;
    f.make_user("amy");
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    auto code = f.last_code(NotificationKind::password_reset, "amy@example.com");
    const OneTimeCode token_only{std::nullopt, code.token};
    REQUIRE(f.service->check_password_reset(token_only));
    f.clock->advance(std::chrono::hours(1));
    CHECK(f.service->check_password_reset(token_only).error().code == Errc::invalid_argument);

    REQUIRE(f.service->request_password_reset("amy@example.com"));
    code = f.last_code(NotificationKind::password_reset, "amy@example.com");
    REQUIRE(f.service->confirm_password_reset(OneTimeCode{std::nullopt, code.token}, new_password, std::nullopt));
    CHECK(f.service->login("amy", new_password));
    CHECK(problems(f.service->check_password_reset(OneTimeCode{std::nullopt, "zz"}).error(), "token").size() == 1);
    CHECK(problems(f.service->check_password_reset(OneTimeCode{std::nullopt, ""}).error(), "token") ==
          std::vector<std::string>{"blank"});
}

TEST_CASE("Username reset: request - then confirm with a new name - once", "[service][username][reset]")
{
    ServiceFixture f;
    f.make_user("amy");
    f.make_user("ben");
    REQUIRE(f.service->request_username_reset("amy@example.com"));
    const auto code = f.last_code(NotificationKind::username_reset, "amy@example.com");
    CHECK(f.notifier->last(NotificationKind::username_reset, "amy@example.com")->user.username == "amy");

    CHECK(problems(f.service->confirm_username_reset(code, "ben").error(), "new_username") ==
          std::vector<std::string>{"taken"});
    CHECK(problems(f.service->confirm_username_reset(OneTimeCode{NamedUser{}, "bad"}, "no good").error(), "new_username")
              .size() == 1);
    CHECK(problems(f.service->confirm_username_reset(OneTimeCode{NamedUser{}, code.token}, "amelia").error(), "user").size() ==
          1);
    // This confirm has no blank checks in Djoser: an empty uid is simply not a user.
    CHECK(problems(f.service->confirm_username_reset(OneTimeCode{NamedUser{std::nullopt, true}, ""}, "amelia").error(), "user") ==
          std::vector<std::string>{"unknown_user"});
    // A password-reset token is not a username-reset token.
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const auto other = f.last_code(NotificationKind::password_reset, "amy@example.com");
    CHECK(problems(f.service->confirm_username_reset(other, "amelia").error(), "token").size() == 1);

    REQUIRE(f.service->confirm_username_reset(code, "amelia"));
    CHECK(f.service->login("amelia", good_password));
    CHECK(problems(f.service->confirm_username_reset(code, "amelia2").error(), "token").size() == 1);
}

TEST_CASE("Secrets never appear in errors or in notifications' user", "[service][security]")
{
    ServiceFixture f;
    f.make_user("amy");
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const auto n = f.notifier->last(NotificationKind::password_reset, "amy@example.com");
    REQUIRE(n);
    // A User has no hash member at all; check that no error message carries a password.
    auto e = f.service->set_password(f.principal_of("amy"), PasswordChange{"Wrong-Secret-77", "x", std::nullopt});
    CHECK(e.error().message.find("Wrong-Secret-77") == std::string::npos);
    auto reset = f.service->confirm_password_reset(OneTimeCode{NamedUser{n->user.id}, n->token}, "weak", std::nullopt);
    CHECK(reset.error().message.find(n->token) == std::string::npos);
}
