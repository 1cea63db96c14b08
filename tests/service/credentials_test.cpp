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
    CHECK(messages(blank.error(), "current_password").size() == 1);
    CHECK(messages(blank.error(), "new_password").size() == 1);
    CHECK(messages(blank.error(), "re_new_password").size() == 1);
    CHECK(messages(f.service->set_password(a, PasswordChange{"wrong-pass-1", new_password, new_password}).error(),
                   "current_password") == std::vector<std::string>{"Invalid password."});
    // A wrong current password and blank new ones are reported together (DRF's field phase).
    auto together = f.service->set_password(a, PasswordChange{"wrong-pass-1", "", std::string()});
    CHECK(messages(together.error(), "current_password") == std::vector<std::string>{"Invalid password."});
    CHECK(messages(together.error(), "new_password") == std::vector<std::string>{"This field may not be blank."});
    CHECK(messages(f.service->set_password(a, PasswordChange{good_password, "amy@example", "amy@example"}).error(),
                   "new_password")
              .front() == "The password is too similar to the email address.");
    CHECK(messages(f.service->set_password(a, PasswordChange{good_password, "amy1", "amy1"}).error(),
                   "new_password")
              .front() == "The password is too similar to the username.");
    CHECK(messages(f.service->set_password(a, PasswordChange{good_password, new_password, "different-Pass-9"}).error(),
                   "non_field_errors") == std::vector<std::string>{"The two password fields didn't match."});
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

TEST_CASE("A password change kills pending reset links", "[service][password][reset]")
{
    ServiceFixture f;
    f.make_user("amy");
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const auto code = f.last_code(NotificationKind::password_reset, "amy@example.com");
    REQUIRE(f.service->check_password_reset(code));
    REQUIRE(f.service->set_password(f.principal_of("amy"), PasswordChange{good_password, new_password, std::nullopt}));
    CHECK(messages(f.service->check_password_reset(code).error(), "token") ==
          std::vector<std::string>{"Invalid token for given user."});
}

TEST_CASE("set_username: both fields' errors together - then the new name logs in", "[service][username]")
{
    ServiceFixture f;
    f.make_user("amy");
    f.make_user("ben");
    const Principal a = f.principal_of("amy");
    auto both = f.service->set_username(a, "BEN", "wrong-pass-1");
    REQUIRE_FALSE(both);
    CHECK(messages(both.error(), "new_username") == std::vector<std::string>{"A user with that username already exists."});
    CHECK(messages(both.error(), "current_password") == std::vector<std::string>{"Invalid password."});
    CHECK(messages(f.service->set_username(a, "bad name", good_password).error(), "new_username").size() == 1);
    CHECK(messages(f.service->set_username(a, "", "").error(), "current_password") ==
          std::vector<std::string>{"This field may not be blank."});
    REQUIRE(f.service->set_username(a, "amelia", good_password));
    CHECK(f.service->login("amelia", good_password));
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    CHECK(messages(f.service->set_username(a, "amelia", good_password).error(), "new_username") ==
          std::vector<std::string>{"A user with that username already exists."});  // the same name
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
    CHECK(messages(f.service->request_password_reset("nope").error(), "email") ==
          std::vector<std::string>{"Enter a valid email address."});
    REQUIRE(f.service->request_username_reset("nobody@example.com"));
    CHECK(messages(f.service->request_username_reset("").error(), "email").size() == 1);
}

TEST_CASE("Reset confirm: password first - then uid - then token - single use", "[service][reset]")
{
    ServiceFixture f;
    f.make_user("amy");
    auto session = f.service->login("amy", good_password);
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const auto code = f.last_code(NotificationKind::password_reset, "amy@example.com");

    // Blank uid and token come first, whatever the password (DRF's field phase)...
    auto blanks = f.service->confirm_password_reset(OneTimeCode{"", ""}, "123", std::string("456"));
    CHECK(messages(blanks.error(), "uid") == std::vector<std::string>{"This field may not be blank."});
    CHECK(messages(blanks.error(), "token") == std::vector<std::string>{"This field may not be blank."});
    CHECK(messages(blanks.error(), "new_password").empty());
    // ...then a weak password is reported even with a bad uid (Djoser's order).
    CHECK(messages(f.service->confirm_password_reset(OneTimeCode{"bad", code.token}, "123", std::nullopt).error(),
                   "new_password")
              .size() == 3);
    CHECK(messages(f.service->confirm_password_reset(code, new_password, std::string("other-Pass-77")).error(),
                   "non_field_errors")
              .size() == 1);
    CHECK(messages(f.service->confirm_password_reset(OneTimeCode{"bad", code.token}, new_password, new_password).error(),
                   "uid") == std::vector<std::string>{"Invalid user id or user doesn't exist."});
    CHECK(messages(f.service->confirm_password_reset(OneTimeCode{code.uid, std::string(64, 'f')}, new_password,
                                                     new_password)
                       .error(),
                   "token") == std::vector<std::string>{"Invalid token for given user."});

    REQUIRE(f.service->confirm_password_reset(code, new_password, new_password));
    CHECK(f.service->login("amy", new_password));
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    // Every session ends with a reset.
    CHECK(f.service->authenticate(session->access).error().code == Errc::token_invalid);
    // Used once, dead after.
    CHECK(messages(f.service->confirm_password_reset(code, "Third-Secret-Phrase-9", std::nullopt).error(), "token")
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
    CHECK(messages(f.service->check_password_reset(OneTimeCode{std::nullopt, "zz"}).error(), "token").size() == 1);
    CHECK(messages(f.service->check_password_reset(OneTimeCode{std::nullopt, ""}).error(), "token") ==
          std::vector<std::string>{"This field may not be blank."});
}

TEST_CASE("Username reset: request - then confirm with a new name - once", "[service][username][reset]")
{
    ServiceFixture f;
    f.make_user("amy");
    f.make_user("ben");
    REQUIRE(f.service->request_username_reset("amy@example.com"));
    const auto code = f.last_code(NotificationKind::username_reset, "amy@example.com");
    CHECK(f.notifier->last(NotificationKind::username_reset, "amy@example.com")->user.username == "amy");

    CHECK(messages(f.service->confirm_username_reset(code, "ben").error(), "new_username") ==
          std::vector<std::string>{"A user with that username already exists."});
    CHECK(messages(f.service->confirm_username_reset(OneTimeCode{"bad", "bad"}, "no good").error(), "new_username")
              .size() == 1);
    CHECK(messages(f.service->confirm_username_reset(OneTimeCode{"bad", code.token}, "amelia").error(), "uid").size() ==
          1);
    // This confirm has no blank checks in Djoser: an empty uid is simply not a user.
    CHECK(messages(f.service->confirm_username_reset(OneTimeCode{"", ""}, "amelia").error(), "uid") ==
          std::vector<std::string>{"Invalid user id or user doesn't exist."});
    // A password-reset token is not a username-reset token.
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const auto other = f.last_code(NotificationKind::password_reset, "amy@example.com");
    CHECK(messages(f.service->confirm_username_reset(other, "amelia").error(), "token").size() == 1);

    REQUIRE(f.service->confirm_username_reset(code, "amelia"));
    CHECK(f.service->login("amelia", good_password));
    CHECK(messages(f.service->confirm_username_reset(code, "amelia2").error(), "token").size() == 1);
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
    auto reset = f.service->confirm_password_reset(OneTimeCode{n->uid, n->token}, "weak", std::nullopt);
    CHECK(reset.error().message.find(n->token) == std::string::npos);
}
