#include "usermgmt/user_service.hpp"

#include "../support/service_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;

namespace {

NewUser alice()
{
    NewUser in;
    in.username = "alice";
    in.email = "alice@example.com";
    in.password = good_password;
    in.password_retype = good_password;
    return in;
}

}  // namespace

TEST_CASE("Building a service checks its configuration", "[service][config]")
{
    TempDir dir;
    Config config;
    config.jwt_secret = "too-short";
    Ports ports;
    ports.store = std::move(*open_sqlite_store(dir / "u.db"));
    CHECK(UserService::create(config, std::move(ports)).error().code == Errc::bad_config);

    config.jwt_secret = test_secret;
    CHECK(UserService::create(config, Ports{}).error().code == Errc::bad_config);  // no store

    Ports again;
    again.store = std::move(*open_sqlite_store(dir / "u.db"));
    config.access_token_lifetime = std::chrono::seconds(0);
    CHECK(UserService::create(config, std::move(again)).error().code == Errc::bad_config);
}

TEST_CASE("uid is base64url of the decimal id - as Django encodes it", "[service]")
{
    CHECK(encode_uid(2) == "Mg");
    CHECK(encode_uid(1234) == "MTIzNA");
    CHECK(decode_uid("Mg") == 2);
    for (const char* bad : {"", "M", "!!", "LTE", "MA", "YWJj", "Mg==", "MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM"})
        CHECK_FALSE(decode_uid(bad));
}

TEST_CASE("Registration with activation creates an inactive account and sends a token", "[service][register]")
{
    ServiceFixture f;
    auto made = f.service->register_user(alice());
    REQUIRE(made);
    CHECK(made->user.id > 0);
    CHECK(made->user.username == "alice");
    CHECK_FALSE(made->user.is_active);
    CHECK_FALSE(made->tokens);
    auto n = f.notifier->last(NotificationKind::activation, "alice@example.com");
    REQUIRE(n);
    CHECK(n->user.id == made->user.id);
    CHECK(n->token.size() == 64);
    CHECK(n->expires_at == f.clock->now() + std::chrono::hours(72));
    // Not active yet: login is refused like a wrong password.
    CHECK(f.service->login("alice", good_password).error().code == Errc::invalid_credentials);
}

TEST_CASE("Registration without activation gives an active account and - on request - tokens", "[service][register]")
{
    ServiceFixture f([](Config& c) { c.require_activation = false; });
    NewUser in = alice();
    in.issue_tokens = true;
    in.first_name = "Alice";
    in.birthdate = Date{1990, 5, 17};
    in.avatar = "a free avatar string";
    auto made = f.service->register_user(in);
    REQUIRE(made);
    CHECK(made->user.is_active);
    REQUIRE(made->tokens);
    CHECK(f.service->authenticate(made->tokens->access));
    CHECK(made->user.birthdate == Date{1990, 5, 17});
    CHECK(made->user.avatar == "a free avatar string");
    CHECK_FALSE(made->user.avatar_is_media);
    CHECK(f.notifier->sent().empty());
}

TEST_CASE("Registration reports every field error together - with Django's messages", "[service][register]")
{
    ServiceFixture f;
    auto blank = f.service->register_user(NewUser{});
    REQUIRE_FALSE(blank);
    CHECK(blank.error().code == Errc::invalid_argument);
    CHECK(problems(blank.error(), "username") == std::vector<std::string>{"blank"});
    CHECK(problems(blank.error(), "email") == std::vector<std::string>{"blank"});
    CHECK(problems(blank.error(), "password") == std::vector<std::string>{"blank"});

    NewUser bad = alice();
    bad.username = "no spaces!";
    bad.email = "not-an-email";
    bad.first_name = std::string(151, 'x');
    bad.birthdate = Date{2999, 1, 1};
    auto e = f.service->register_user(bad);
    REQUIRE_FALSE(e);
    CHECK(problems(e.error(), "username").front().rfind("invalid_username", 0) == 0);
    CHECK(problems(e.error(), "email") == std::vector<std::string>{"invalid_email"});
    CHECK(problems(e.error(), "first_name") ==
          std::vector<std::string>{"too_long:150"});
    CHECK(problems(e.error(), "birthdate") == std::vector<std::string>{"date_in_future"});
    CHECK(problems(e.error(), "password").empty());  // the password is judged only after the fields
}

TEST_CASE("Registration refuses taken names and emails - case-insensitively", "[service][register]")
{
    ServiceFixture f;
    REQUIRE(f.service->register_user(alice()));
    NewUser again = alice();
    again.username = "ALICE";
    again.email = "Alice@EXAMPLE.com";
    auto e = f.service->register_user(again);
    REQUIRE_FALSE(e);
    CHECK(problems(e.error(), "username") == std::vector<std::string>{"taken"});
    CHECK(problems(e.error(), "email") == std::vector<std::string>{"taken"});
}

TEST_CASE("Password rules run after the fields and before the retype", "[service][register]")
{
    ServiceFixture f;
    NewUser weak = alice();
    weak.password = "123";
    weak.password_retype = "456";
    auto e = f.service->register_user(weak);
    REQUIRE_FALSE(e);
    CHECK(problems(e.error(), "password") ==
          std::vector<std::string>{"password_too_short:8",
                                   "password_too_common", "password_numeric"});
    CHECK(problems(e.error(), "").empty());

    NewUser similar = alice();
    similar.password = "alice1234";
    similar.password_retype = "alice1234";
    CHECK(problems(f.service->register_user(similar).error(), "password").front() ==
          "password_too_similar:username");

    NewUser mismatch = alice();
    mismatch.password_retype = "another-Good-pass-7";
    CHECK(problems(f.service->register_user(mismatch).error(), "") ==
          std::vector<std::string>{"passwords_mismatch"});
    CHECK(f.service->login("alice", good_password).error().code == Errc::invalid_credentials);
}

TEST_CASE("Only staff may give groups at registration", "[service][register][groups]")
{
    ServiceFixture f;
    NewUser in = alice();
    in.groups = {"editors"};
    CHECK(f.service->register_user(in).error().code == Errc::forbidden);
    f.make_user("boss", true);
    const Principal boss = f.principal_of("boss");
    auto made = f.service->register_user(in, boss);
    REQUIRE(made);
    CHECK(made->user.groups == std::vector<std::string>{"editors"});
}

TEST_CASE("Activation activates once - reuse is stale - forgery is invalid", "[service][activate]")
{
    ServiceFixture f;
    auto made = f.service->register_user(alice());
    REQUIRE(made);
    const auto code = f.last_code(NotificationKind::activation, "alice@example.com");

    CHECK(problems(f.service->activate(OneTimeCode{NamedUser{std::nullopt, true}, code.token}).error(), "user") ==
          std::vector<std::string>{"blank"});
    CHECK(problems(f.service->activate(OneTimeCode{NamedUser{}, code.token}).error(), "user") ==
          std::vector<std::string>{"unknown_user"});
    CHECK(problems(f.service->activate(OneTimeCode{NamedUser{999}, code.token}).error(), "user") ==
          std::vector<std::string>{"unknown_user"});
    CHECK(problems(f.service->activate(OneTimeCode{code.user, std::string(64, '0')}).error(), "token") ==
          std::vector<std::string>{"invalid_token"});
    CHECK(problems(f.service->activate(OneTimeCode{code.user, "short"}).error(), "token") ==
          std::vector<std::string>{"invalid_token"});

    REQUIRE(f.service->activate(code));
    CHECK(f.service->login("alice", good_password));
    CHECK(f.service->activate(code).error().code == Errc::stale_token);
}

TEST_CASE("Activation confirmation mail is sent when configured", "[service][activate]")
{
    ServiceFixture f([](Config& c) { c.send_activation_confirmation = true; });
    REQUIRE(f.service->register_user(alice()));
    REQUIRE(f.service->activate(f.last_code(NotificationKind::activation, "alice@example.com")));
    auto confirmed = f.notifier->last(NotificationKind::activation_confirmed, "alice@example.com");
    REQUIRE(confirmed);
    CHECK(confirmed->token.empty());
}

TEST_CASE("An activation token is bound to its user and expires", "[service][activate]")
{
    ServiceFixture f;
    REQUIRE(f.service->register_user(alice()));
    NewUser bob = alice();
    bob.username = "bob";
    bob.email = "bob@example.com";
    auto b = f.service->register_user(bob);
    REQUIRE(b);
    auto alice_code = f.last_code(NotificationKind::activation, "alice@example.com");
    // Alice's token with Bob's uid.
    CHECK(problems(f.service->activate(OneTimeCode{NamedUser{b->user.id}, alice_code.token}).error(),
                   "token")
              .size() == 1);
    f.clock->advance(std::chrono::hours(72) + std::chrono::seconds(1));
    CHECK(problems(f.service->activate(alice_code).error(), "token") ==
          std::vector<std::string>{"invalid_token"});
}

TEST_CASE("Resend activation answers alike for every email - and mails only inactive accounts", "[service][activate]")
{
    ServiceFixture f;
    REQUIRE(f.service->register_user(alice()));
    const auto before = f.notifier->sent().size();
    REQUIRE(f.service->resend_activation("alice@example.com"));
    CHECK(f.notifier->sent().size() == before + 1);
    REQUIRE(f.service->resend_activation("nobody@example.com"));
    CHECK(f.notifier->sent().size() == before + 1);
    // The newest link works (the older one too, until it is used).
    REQUIRE(f.service->activate(f.last_code(NotificationKind::activation, "alice@example.com")));
    REQUIRE(f.service->resend_activation("alice@example.com"));
    CHECK(f.notifier->sent().size() == before + 1);  // active: nothing sent
    CHECK(problems(f.service->resend_activation("bad").error(), "email") ==
          std::vector<std::string>{"invalid_email"});
    CHECK(problems(f.service->resend_activation("").error(), "email") ==
          std::vector<std::string>{"blank"});
}

TEST_CASE("A username can be derived from the email" , "[service][register]")
{
    ServiceFixture f([](Config& c) { c.require_activation = false; });
    NewUser squatter;  // someone already uses the address of the next account as a username
    squatter.username = "Taken@example.com";
    squatter.email = "squatter@example.com";
    squatter.password = good_password;
    REQUIRE(f.service->register_user(squatter));
    NewUser in;
    in.username_from_email = true;
    in.email = "Taken@Example.com";
    in.password = good_password;
    auto made = f.service->register_user(in);
    // The email is another account's username, not its email: the name gets a suffix.
    REQUIRE(made);
    CHECK(made->user.username == "Taken@example.com-2");
    CHECK(f.service->login("Taken@example.com-2", good_password));

    NewUser odd;
    odd.username_from_email = true;
    odd.email = "o'hara!x@example.com";
    odd.password = good_password;
    auto made_odd = f.service->register_user(odd);
    REQUIRE(made_odd);
    CHECK(made_odd->user.username == "o_hara_x@example.com");
    NewUser again = odd;
    CHECK(f.service->register_user(again).error().code == Errc::already_exists);  // the email is taken
}

TEST_CASE("create_superuser makes an active staff superuser", "[service]")
{
    ServiceFixture f;
    auto root = f.service->create_superuser("root", "root@example.com", good_password);
    REQUIRE(root);
    CHECK(root->is_active);
    CHECK(root->is_staff);
    CHECK(root->is_superuser);
    CHECK(f.service->create_superuser("root2", "bad", good_password).error().code == Errc::invalid_argument);
    CHECK(f.service->create_superuser("root3", "r3@example.com", "password").error().code == Errc::invalid_argument);
}
