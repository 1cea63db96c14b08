#include "usermgmt/user_service.hpp"

#include "../support/service_fixture.hpp"
#include "../support/sqlite_query.hpp"
#include "../support/stepped_hasher.hpp"

#include <functional>
#include <utility>

using namespace usermgmt;
using namespace usermgmt::test;

TEST_CASE("Login by username gives an access and a refresh token of one session", "[service][login]")
{
    ServiceFixture f;
    f.make_user("carol");
    auto tokens = f.service->login("carol", good_password);
    REQUIRE(tokens);
    auto access = f.service->verify_token(tokens->access);
    auto refresh = f.service->verify_token(tokens->refresh);
    REQUIRE(access);
    REQUIRE(refresh);
    CHECK(access->type == TokenType::access);
    CHECK(refresh->type == TokenType::refresh);
    CHECK(access->session_id == refresh->session_id);
    CHECK(access->expires_at - access->issued_at == 300);
    CHECK(refresh->expires_at - refresh->issued_at == 86400);
    CHECK(access->jti.size() == 32);
    CHECK(access->jti != refresh->jti);
    CHECK(f.service->me(*f.service->authenticate(tokens->access))->last_login);
}

TEST_CASE("Login failures are one answer: unknown - wrong password - inactive", "[service][login]")
{
    ServiceFixture f;
    f.make_user("dave");
    NewUser pending;
    pending.username = "pending";
    pending.email = "pending@example.com";
    pending.password = good_password;
    REQUIRE(f.service->register_user(pending));
    for (auto [login, password] : {std::pair{"dave", "wrong-password-1"}, std::pair{"nobody", good_password.c_str()},
                                   std::pair{"pending", good_password.c_str()}, std::pair{"DAVE", "x"}}) {
        auto e = f.service->login(login, password);
        REQUIRE_FALSE(e);
        CHECK(e.error().code == Errc::invalid_credentials);
        CHECK(e.error().message.find(password) == std::string::npos);
    }
    CHECK(f.service->login("Dave", good_password));  // case-insensitive username
    auto blank = f.service->login("", "");
    CHECK(problems(blank.error(), "login") == std::vector<std::string>{"blank"});
    CHECK(problems(blank.error(), "password") == std::vector<std::string>{"blank"});
    CHECK(f.service->login("dave", std::string(100000, 'p')).error().code == Errc::invalid_credentials);
}

TEST_CASE("Login by email - by setting or by the call that takes either", "[service][login]")
{
    ServiceFixture f([](Config& c) { c.login_field = LoginField::email; });
    f.make_user("erin");
    CHECK(f.service->login("erin@example.com", good_password));
    CHECK(f.service->login("ERIN@example.com", good_password));
    CHECK(f.service->login("erin", good_password).error().code == Errc::invalid_credentials);
    CHECK(f.service->login("erin", good_password, LoginOptions{std::nullopt, LoginField::username_or_email}));
    CHECK(f.service->login("erin@example.com", good_password, LoginOptions{std::nullopt, LoginField::username_or_email}));
    CHECK(problems(f.service->login("", "x").error(), "login").size() == 1);
}

TEST_CASE("A per-call access lifetime overrides the setting", "[service][login]")
{
    ServiceFixture f;
    f.make_user("fay");
    auto tokens = f.service->login("fay", good_password, LoginOptions{std::chrono::hours(24), std::nullopt});
    REQUIRE(tokens);
    auto claims = f.service->verify_token(tokens->access);
    CHECK(claims->expires_at - claims->issued_at == 86400);
}

TEST_CASE("Login rehashes a password made with older parameters", "[service][login]")
{
    TempDir dir;
    const auto open = [&](Argon2Params params) {
        Config c;
        c.jwt_secret = test_secret;
        c.argon2 = params;
        c.require_activation = false;
        Ports p;
        p.store = std::move(*open_sqlite_store(dir / "u.db"));
        return std::move(*UserService::create(c, std::move(p)));
    };
    const auto stored_hash = [&] {
        return test::query_text(dir / "u.db", "SELECT password_hash FROM users WHERE username = 'gus'");
    };
    {
        auto old = open(Argon2Params::cheapest_for_tests());
        NewUser in;
        in.username = "gus";
        in.email = "gus@example.com";
        in.password = good_password;
        REQUIRE(old->register_user(in));
    }
    CHECK(stored_hash().find("m=8,t=1") != std::string::npos);
    auto upgraded = open(Argon2Params{2, 16384});
    REQUIRE(upgraded->login("gus", good_password));
    CHECK(stored_hash().find("m=16,t=2") != std::string::npos);
    CHECK(upgraded->login("gus", good_password));
}

namespace {

// The real Argon2id hasher, running a hook once inside a verification: what another request, or
// another node, commits while a login's password is being checked.
class HookedHasher final : public SteppedHasher {
public:
    explicit HookedHasher(std::function<void()>& hook) : hook_(hook) {}

private:
    void after_verify() const override
    {
        if (auto run = std::exchange(hook_, nullptr)) run();
    }
    std::function<void()>& hook_;
};

}  // namespace

TEST_CASE("A login whose account changes while its password is checked is refused, and records nothing",
          "[service][login]")
{
    TempDir dir;
    std::function<void()> during_check;
    Config config;
    config.jwt_secret = test_secret;
    config.argon2 = Argon2Params::cheapest_for_tests();
    config.require_activation = false;
    Ports ports;
    ports.store = std::move(*open_sqlite_store(dir / "u.db"));
    ports.hasher = std::make_unique<HookedHasher>(during_check);
    auto service = std::move(*UserService::create(config, std::move(ports)));
    // Another node on the same database makes the changes.
    Ports other_ports;
    other_ports.store = std::move(*open_sqlite_store(dir / "u.db"));
    auto other = std::move(*UserService::create(config, std::move(other_ports)));

    NewUser in;
    in.username = "ike";
    in.email = "ike@example.com";
    in.password = good_password;
    auto made = service->register_user(in);
    REQUIRE(made);
    const UserId id = made->user.id;
    const auto sessions = [&] {
        return test::query_text(dir / "u.db", "SELECT count(*) FROM sessions WHERE user_id = " + std::to_string(id));
    };
    const auto last_login = [&] {
        return test::query_text(dir / "u.db", "SELECT coalesce(last_login, 'never') FROM users WHERE id = " + std::to_string(id));
    };

    SECTION("given another password")
    {
        during_check = [&] {
            UserPatch patch;
            patch.password = "another-Horse-battery-7";
            REQUIRE(other->update_user(operator_principal(), id, patch));
        };
        CHECK(service->login("ike", good_password).error().code == Errc::invalid_credentials);
        CHECK(service->login("ike", "another-Horse-battery-7"));  // the new one works
    }
    SECTION("deactivated")
    {
        during_check = [&] {
            UserPatch patch;
            patch.is_active = false;
            REQUIRE(other->update_user(operator_principal(), id, patch));
        };
        CHECK(service->login("ike", good_password).error().code == Errc::invalid_credentials);
        CHECK(last_login() == "never");
        CHECK(sessions() == "0");
    }
    SECTION("deleted")
    {
        during_check = [&] { REQUIRE(other->delete_user(operator_principal(), id, std::nullopt)); };
        CHECK(service->login("ike", good_password).error().code == Errc::invalid_credentials);
        CHECK(sessions() == "0");
    }
    SECTION("unchanged: recorded")
    {
        REQUIRE(service->login("ike", good_password));
        CHECK(last_login() != "never");
        CHECK(sessions() == "1");
    }
}

TEST_CASE("Refresh gives a new access token of the same session", "[service][refresh]")
{
    ServiceFixture f;
    f.make_user("hal");
    auto tokens = f.service->login("hal", good_password);
    REQUIRE(tokens);
    f.clock->advance(std::chrono::seconds(100));
    auto renewed = f.service->refresh(tokens->refresh);
    REQUIRE(renewed);
    CHECK(renewed->refresh.empty());  // no rotation by default
    auto claims = f.service->verify_token(renewed->access);
    REQUIRE(claims);
    CHECK(claims->type == TokenType::access);
    CHECK(claims->session_id == f.service->verify_token(tokens->access)->session_id);
    // As simplejwt: iat is the login's, exp counts from now.
    CHECK(claims->issued_at == f.service->verify_token(tokens->refresh)->issued_at);
    CHECK(claims->expires_at == claims->issued_at + 100 + 300);

    CHECK(f.service->refresh(tokens->access).error().code == Errc::token_wrong_type);
    CHECK(f.service->refresh("garbage").error().code == Errc::token_invalid);
    f.clock->advance(std::chrono::hours(24));
    CHECK(f.service->refresh(tokens->refresh).error().code == Errc::token_expired);
}

TEST_CASE("Refresh rotation - when on - also gives a new refresh token", "[service][refresh]")
{
    ServiceFixture f([](Config& c) { c.rotate_refresh_tokens = true; });
    f.make_user("ida");
    auto tokens = f.service->login("ida", good_password);
    auto renewed = f.service->refresh(tokens->refresh);
    REQUIRE(renewed);
    REQUIRE_FALSE(renewed->refresh.empty());
    CHECK(f.service->verify_token(renewed->refresh)->type == TokenType::refresh);
}

TEST_CASE("Authenticate accepts only live access tokens of active users", "[service][authenticate]")
{
    ServiceFixture f;
    f.make_user("jon");
    auto tokens = f.service->login("jon", good_password);
    auto who = f.service->authenticate(tokens->access);
    REQUIRE(who);
    CHECK_FALSE(who->is_staff);
    CHECK(f.service->authenticate(tokens->refresh).error().code == Errc::token_wrong_type);
    CHECK(f.service->authenticate("").error().code == Errc::token_invalid);

    // Another service with another secret does not accept our tokens.
    ServiceFixture other([](Config& c) { c.jwt_secret = std::string(40, 'k'); });
    CHECK(other.service->authenticate(tokens->access).error().code == Errc::token_invalid);

    f.clock->advance(std::chrono::seconds(300));
    CHECK(f.service->authenticate(tokens->access).error().code == Errc::token_expired);
}

TEST_CASE("Logout ends the presented session only", "[service][logout]")
{
    ServiceFixture f;
    f.make_user("kim");
    auto first = f.service->login("kim", good_password);
    auto second = f.service->login("kim", good_password);
    auto who = f.service->authenticate(first->access);
    REQUIRE(who);
    REQUIRE(f.service->logout(*who));
    CHECK(f.service->authenticate(first->access).error().code == Errc::token_invalid);
    CHECK(f.service->refresh(first->refresh).error().code == Errc::token_invalid);
    CHECK(f.service->verify_token(first->refresh).error().code == Errc::token_invalid);
    CHECK(f.service->authenticate(second->access));
}

TEST_CASE("Tokens of deleted and deactivated users are refused everywhere", "[service][authenticate]")
{
    ServiceFixture f;
    auto user = f.make_user("lee");
    f.make_user("boss", true);
    auto tokens = f.service->login("lee", good_password);
    const Principal boss = f.principal_of("boss");

    UserPatch off;
    off.is_active = false;
    REQUIRE(f.service->update_user(boss, user.id, off));
    CHECK(f.service->authenticate(tokens->access).error().code == Errc::inactive_account);
    CHECK(f.service->verify_token(tokens->access).error().code == Errc::token_invalid);
    CHECK(f.service->refresh(tokens->refresh).error().code == Errc::token_invalid);
    // Re-activated: the sessions ended with the deactivation stay ended.
    UserPatch on;
    on.is_active = true;
    REQUIRE(f.service->update_user(boss, user.id, on));
    CHECK(f.service->authenticate(tokens->access).error().code == Errc::token_invalid);

    auto fresh = f.service->login("lee", good_password);
    REQUIRE(f.service->delete_user(boss, user.id, std::nullopt));
    CHECK(f.service->authenticate(fresh->access).error().code == Errc::not_found);
    CHECK(f.service->verify_token(fresh->access).error().code == Errc::token_invalid);
    CHECK(f.service->refresh(fresh->refresh).error().code == Errc::token_invalid);
}

TEST_CASE("Without the read cache every flow works the same", "[service][cache]")
{
    ServiceFixture f([](Config& c) { c.cache_capacity = 0; });
    auto nia = f.make_user("nia");
    auto tokens = f.service->login("nia", good_password);
    REQUIRE(tokens);
    auto other = f.service->login("nia", good_password);
    REQUIRE(other);
    auto who = f.service->authenticate(tokens->access);
    REQUIRE(who);
    // Reading and changing the profile.
    UserPatch patch;
    patch.first_name = "Nia";
    REQUIRE(f.service->update_user(*who, nia.id, patch));
    CHECK(f.service->me(*who)->first_name == "Nia");
    // Refreshing, and a password change that ends the other session only.
    CHECK(f.service->refresh(tokens->refresh));
    REQUIRE(f.service->set_password(*who, PasswordChange{good_password, "Another-Secret-Phrase-8", std::nullopt}));
    CHECK(f.service->authenticate(other->access).error().code == Errc::token_invalid);
    CHECK(f.service->authenticate(tokens->access));
    // Logout ends the session.
    REQUIRE(f.service->logout(*who));
    CHECK(f.service->authenticate(tokens->access).error().code == Errc::token_invalid);
    // A reset ends every session; a deletion ends the account's tokens.
    auto again = f.service->login("nia", "Another-Secret-Phrase-8");
    REQUIRE(again);
    REQUIRE(f.service->request_password_reset("nia@example.com"));
    REQUIRE(f.service->confirm_password_reset(f.last_code(NotificationKind::password_reset, "nia@example.com"),
                                              "Third-Secret-Phrase-5", std::nullopt));
    CHECK(f.service->authenticate(again->access).error().code == Errc::token_invalid);
    auto last = f.service->login("nia", "Third-Secret-Phrase-5");
    REQUIRE(last);
    auto last_who = f.service->authenticate(last->access);
    REQUIRE(last_who);
    REQUIRE(f.service->delete_user(*last_who, nia.id, std::nullopt));
    CHECK_FALSE(f.service->authenticate(last->access));
}

TEST_CASE("A cached session ends at once with logout and password changes", "[service][cache]")
{
    ServiceFixture f;
    f.make_user("ola");
    auto first = f.service->login("ola", good_password);
    auto second = f.service->login("ola", good_password);
    REQUIRE(first);
    REQUIRE(second);
    // Authenticate twice so both sessions and the user are in the cache.
    for (int i = 0; i < 2; ++i) {
        REQUIRE(f.service->authenticate(first->access));
        REQUIRE(f.service->authenticate(second->access));
    }
    const Principal who = *f.service->authenticate(first->access);
    REQUIRE(f.service->set_password(who, PasswordChange{good_password, "Another-Secret-Phrase-8", std::nullopt}));
    CHECK(f.service->authenticate(second->access).error().code == Errc::token_invalid);
    CHECK(f.service->authenticate(first->access));
    REQUIRE(f.service->logout(who));
    CHECK(f.service->authenticate(first->access).error().code == Errc::token_invalid);
}

TEST_CASE("Throttling counts attempts per client and per account within a window", "[service][throttle]")
{
    ServiceFixture f([](Config& c) {
        c.throttle.login_per_account = RateLimit{3, std::chrono::seconds(60)};
        c.throttle.login_per_client = RateLimit{5, std::chrono::seconds(60)};
    });
    using Attempt = UserService::Attempt;
    for (int i = 0; i < 3; ++i) REQUIRE(f.service->throttle(Attempt::login, "10.0.0.1", "amy"));
    auto refused = f.service->throttle(Attempt::login, "10.0.0.1", "AMY");  // accounts ignore case
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::rate_limited);
    CHECK(refused.error().retry_after_seconds == 60);
    // Another account from the same client is still allowed, until the client's own limit.
    CHECK(f.service->throttle(Attempt::login, "10.0.0.1", "ben"));
    CHECK_FALSE(f.service->throttle(Attempt::login, "10.0.0.1", "cat"));
    // Another client is counted apart; the window ends and the account may try again.
    CHECK(f.service->throttle(Attempt::login, "10.0.0.2", "ben"));
    f.clock->advance(std::chrono::seconds(45));
    CHECK(f.service->throttle(Attempt::login, "10.0.0.1", "amy").error().retry_after_seconds == 15);
    f.clock->advance(std::chrono::seconds(16));
    CHECK(f.service->throttle(Attempt::login, "10.0.0.1", "amy"));
}

TEST_CASE("Throttling can be turned off" , "[service][throttle]")
{
    ServiceFixture f([](Config& c) { c.throttle.enabled = false; });
    for (int i = 0; i < 100; ++i) REQUIRE(f.service->throttle(UserService::Attempt::reset_request, "x", "y"));
}

TEST_CASE("Rotation: a refresh token works once - reuse within the interval gets the same pair - later ends the family", "[service][refresh]")
{
    ServiceFixture f([](Config& c) { c.rotate_refresh_tokens = true; });
    f.make_user("pia");
    auto login = f.service->login("pia", good_password);
    auto first = f.service->refresh(login->refresh);
    REQUIRE(first);
    // Two tabs at once: the second use within the interval gets the very same pair.
    auto second = f.service->refresh(login->refresh);
    REQUIRE(second);
    CHECK(second->access == first->access);
    CHECK(second->refresh == first->refresh);
    // The new refresh token goes on working, once.
    f.clock->advance(std::chrono::seconds(5));
    auto next = f.service->refresh(first->refresh);
    REQUIRE(next);
    CHECK(next->refresh != first->refresh);
    // The old one replayed after the interval: the whole session ends, new tokens included.
    f.clock->advance(std::chrono::seconds(11));
    CHECK(f.service->refresh(login->refresh).error().code == Errc::token_invalid);
    CHECK(f.service->authenticate(next->access).error().code == Errc::token_invalid);
    CHECK(f.service->refresh(next->refresh).error().code == Errc::token_invalid);
    // Another login is another family.
    CHECK(f.service->refresh(f.service->login("pia", good_password)->refresh));
}
