// The second security pass (issue 10), at the level of the core: caches that stay right when
// another process writes, limits that cannot be dodged or flooded, account states, bounded
// input, and housekeeping.
#include "usermgmt/user_service.hpp"

#include "../support/service_fixture.hpp"
#include "../support/row_count.hpp"
#include "../support/sqlite_query.hpp"

#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace usermgmt;
using namespace usermgmt::test;

namespace {

// A second service on the fixture's database: another process (or, on PostgreSQL, another
// node), as far as caches can tell.
std::unique_ptr<UserService> second_service(const ServiceFixture& f)
{
    Config config;
    config.jwt_secret = test_secret;
    config.argon2 = Argon2Params::cheapest_for_tests();
    Ports ports;
    auto store = open_test_store(f.dir.path());
    REQUIRE(store);
    ports.store = std::move(*store);
    auto made = UserService::create(std::move(config), std::move(ports));
    REQUIRE(made);
    return std::move(*made);
}

// Registration input for an account that waits for its activation link.
NewUser pending_user(const std::string& name, const std::string& email)
{
    NewUser in;
    in.username = name;
    in.email = email;
    in.password = good_password;
    return in;
}

// A throttle store that remembers every key it was asked to count (and counts in memory).
class KeyRecordingStore final : public ThrottleStore {
public:
    explicit KeyRecordingStore(std::set<std::string>& keys) : keys_(keys) {}
    Result<long long> hit(std::string_view key, const RateLimit& limit, TimePoint now) override
    {
        keys_.emplace(key);
        return inner_->hit(key, limit, now);
    }
    Result<void> purge(TimePoint now) override { return inner_->purge(now); }

private:
    std::set<std::string>& keys_;
    std::unique_ptr<ThrottleStore> inner_ = make_memory_throttle_store();
};

}  // namespace

TEST_CASE("Writes made through another service on the same file are seen at once - cache and all", "[service][coherence]")
{
    ServiceFixture a;
    auto b = second_service(a);
    a.make_user("alice");
    a.make_user("bob");
    auto carol = a.make_user("carol");
    a.make_user("boss", true);
    const Principal alice = a.principal_of("alice");
    auto bob_tokens = a.service->login("bob", good_password);
    REQUIRE(bob_tokens);
    const Principal bob = a.principal_of("bob");
    auto carol_tokens = a.service->login("carol", good_password);
    REQUIRE(carol_tokens);
    auto alice_tokens = a.service->login("alice", good_password);
    REQUIRE(alice_tokens);
    const Principal alice_again = *a.service->authenticate(alice_tokens->access);

    // B reads (and caches) every user and session.
    REQUIRE(b->authenticate(bob_tokens->access));
    REQUIRE(b->authenticate(carol_tokens->access));
    REQUIRE(b->authenticate(alice_tokens->access));
    REQUIRE(b->me(alice_again)->first_name.empty());

    // A logout through A ends the session at B.
    REQUIRE(a.service->logout(alice_again));
    CHECK(b->authenticate(alice_tokens->access).error().code == Errc::token_invalid);
    // A password change through A ends bob's other session at B.
    REQUIRE(a.service->set_password(bob, PasswordChange{good_password, "another-Horse-battery-7", std::nullopt}));
    CHECK(b->authenticate(bob_tokens->access).error().code == Errc::token_invalid);
    // A deletion by staff through A ends carol's tokens at B.
    REQUIRE(a.service->delete_user(a.principal_of("boss"), carol.id, std::nullopt));
    CHECK_FALSE(b->authenticate(carol_tokens->access));
    // A profile change through A is what B answers.
    UserPatch patch;
    patch.first_name = "Alice";
    REQUIRE(a.service->update_user(alice, alice.user_id, patch));
    CHECK(b->me(alice)->first_name == "Alice");
}

TEST_CASE("A look taken without blocking sees what another service committed before it - on either store", "[service][coherence][concurrency]")
{
    ServiceFixture a;
    auto b = second_service(a);
    a.make_user("alice");
    const Principal alice = a.principal_of("alice");
    auto tokens = a.service->login("alice", good_password);
    REQUIRE(tokens);
    REQUIRE(b->me(*b->authenticate(tokens->access))->first_name.empty());  // B has alice cached
    CHECK(b->change_checks_wait() == on_postgres());

    // Takes a look through B's check_changes and waits (bounded) for it, wherever it is answered.
    const auto look = [&] {
        std::promise<UserService::ChangeCheck> taken;
        auto future = taken.get_future();
        bool answered_inline = false;
        const auto caller = std::this_thread::get_id();
        b->check_changes([&](UserService::ChangeCheck check) {
            answered_inline = std::this_thread::get_id() == caller;
            taken.set_value(check);
        });
        REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        // SQLite's look is a read of shared memory, answered at once; PostgreSQL's a round trip,
        // answered from the listener's thread.
        CHECK(answered_inline == !on_postgres());
        return future.get();
    };

    UserPatch patch;
    patch.first_name = "Alice";
    REQUIRE(a.service->update_user(alice, alice.user_id, patch));
    {
        const auto check = look();
        const auto scope = b->read_scope(check);
        CHECK(b->me(alice)->first_name == "Alice");
    }
    // A logout through A: a look taken afterwards ends the session at B.
    REQUIRE(a.service->logout(*a.service->authenticate(tokens->access)));
    {
        const auto check = look();
        const auto scope = b->read_scope(check);
        CHECK(b->authenticate(tokens->access).error().code == Errc::token_invalid);
    }
}

TEST_CASE("Throttle keys are digests of fixed size - over-long identifiers are not counted", "[service][throttle]")
{
    std::set<std::string> keys;
    Config config;
    config.jwt_secret = test_secret;
    config.argon2 = Argon2Params::cheapest_for_tests();
    Ports ports;
    TempDir dir;
    ports.store = std::move(*open_sqlite_store(dir / "users.db"));
    ports.throttle = std::make_unique<KeyRecordingStore>(keys);
    auto service = std::move(*UserService::create(config, std::move(ports)));
    using Attempt = UserService::Attempt;

    const std::string huge(1 << 20, 'a');
    REQUIRE(service->throttle(Attempt::reset_request, "10.0.0.1", huge));
    REQUIRE(keys.size() == 1);  // the client's key only: the identifier names no account
    REQUIRE(service->throttle(Attempt::reset_request, "10.0.0.1", "Amy@Example.com"));
    REQUIRE(service->throttle(Attempt::reset_request, "10.0.0.2", "amy@example.com"));
    CHECK(keys.size() == 3);  // one more client, one account however it is written
    for (const auto& key : keys) {
        CHECK(key.size() <= 48);
        CHECK(key.find("amy") == std::string::npos);  // no identifier kept in the clear
    }
}

TEST_CASE("One account has one login limit - however it is spelled", "[service][throttle]")
{
    ServiceFixture f([](Config& c) {
        c.login_field = LoginField::username_or_email;
        c.throttle.login_per_account = RateLimit{3, std::chrono::seconds(60)};
    });
    f.make_user("amy");
    CHECK(f.service->login("amy", "wrong-Password-1").error().code == Errc::invalid_credentials);
    CHECK(f.service->login("AMY", "wrong-Password-1").error().code == Errc::invalid_credentials);
    CHECK(f.service->login("amy@example.com", "wrong-Password-1").error().code == Errc::invalid_credentials);
    // Locked: even the right password fails, whichever name is used, exactly as a wrong one
    // does (a distinct answer would tell an attacker that this email is amy's).
    auto refused = f.service->login("amy@example.com", good_password);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_credentials);
    CHECK(f.service->login("amy", good_password).error().code == Errc::invalid_credentials);
    f.make_user("bob");  // another account is not locked
    CHECK(f.service->login("bob", good_password));
    f.clock->advance(std::chrono::seconds(61));
    CHECK(f.service->login("amy", good_password));
}

TEST_CASE("Password checks by an authenticated user are limited per user and per client", "[service][throttle]")
{
    ServiceFixture f([](Config& c) { c.throttle.password_check_per_user = RateLimit{4, std::chrono::seconds(60)}; });
    auto amy = f.make_user("amy");
    Principal who = f.principal_of("amy");
    who.client = "10.0.0.1";
    const PasswordChange wrong{"wrong-Password-1", "another-Horse-battery-7", std::nullopt};
    CHECK(f.service->set_password(who, wrong).error().code == Errc::invalid_argument);
    CHECK(f.service->set_username(who, "amy2", "wrong-Password-1").error().code == Errc::invalid_argument);
    CHECK(f.service->delete_user(who, amy.id, std::string("wrong-Password-1")).error().code == Errc::invalid_argument);
    UserPatch patch;
    patch.password = "another-Horse-battery-7";
    REQUIRE(f.service->update_user(who, amy.id, patch));
    // The fifth is refused before any hashing, whichever call it is, and counts nothing.
    auto refused = f.service->set_password(who, PasswordChange{"another-Horse-battery-7", "third-Horse-battery-5", std::nullopt});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::rate_limited);
    CHECK(f.service->delete_user(who, amy.id, std::string("another-Horse-battery-7")).error().code == Errc::rate_limited);
    CHECK(f.service->update_user(who, amy.id, patch).error().code == Errc::rate_limited);
    // A profile change without a password is not a password check.
    UserPatch name;
    name.first_name = "Amy";
    CHECK(f.service->update_user(who, amy.id, name));

    // Per client: many users from one address share the client's limit (30 by default).
    ServiceFixture g([](Config& c) { c.throttle.password_check_per_client = RateLimit{2, std::chrono::seconds(60)}; });
    g.make_user("u1");
    g.make_user("u2");
    Principal u1 = g.principal_of("u1");
    Principal u2 = g.principal_of("u2");
    u1.client = u2.client = "10.9.9.9";
    CHECK(g.service->set_username(u1, "u1b", "wrong-Password-1").error().code == Errc::invalid_argument);
    CHECK(g.service->set_username(u2, "u2b", "wrong-Password-1").error().code == Errc::invalid_argument);
    CHECK(g.service->set_username(u2, "u2b", good_password).error().code == Errc::rate_limited);
}

TEST_CASE("A user deactivated by staff cannot reactivate by mail - one never activated can", "[service][accounts]")
{
    ServiceFixture f;
    NewUser in = pending_user("newbie", "newbie@example.com");
    auto pending = f.service->register_user(in);
    REQUIRE(pending);
    const auto first_link = f.notifier->sent().size();
    REQUIRE(f.service->resend_activation("newbie@example.com"));
    CHECK(f.notifier->sent().size() == first_link + 1);  // never activated: a new link

    auto bad = f.make_user("bad");
    CHECK(f.service->me(f.principal_of("bad"))->activated_at);
    auto boss = f.make_user("boss", true);
    const Principal staff = f.principal_of("boss");
    UserPatch ban;
    ban.is_active = false;
    REQUIRE(f.service->update_user(staff, bad.id, ban));
    const auto before = f.notifier->sent().size();
    REQUIRE(f.service->resend_activation("bad@example.com"));  // the same answer ...
    CHECK(f.notifier->sent().size() == before);                // ... and no link

    // Only staff lift it.
    UserPatch lift;
    lift.is_active = true;
    REQUIRE(f.service->update_user(staff, bad.id, lift));
    CHECK(f.service->login("bad", good_password));
    (void)boss;
}

TEST_CASE("An email change ends the reset links mailed to the old address", "[service][accounts]")
{
    ServiceFixture f;
    auto amy = f.make_user("amy");
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    const OneTimeCode code = f.last_code(NotificationKind::password_reset, "amy@example.com");
    REQUIRE(f.service->check_password_reset(code));
    UserPatch patch;
    patch.email = "amy@new.example.com";
    patch.require_activation = false;
    REQUIRE(f.service->update_user(f.principal_of("amy"), amy.id, patch));
    auto refused = f.service->confirm_password_reset(code, "another-Horse-battery-7", std::nullopt);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().fields.find("token"));
    CHECK(f.service->login("amy", good_password));

    // A pending registration whose address staff correct: the link sent to the old one is dead.
    NewUser in = pending_user("typo", "typo@exampel.com");
    auto pending = f.service->register_user(in);
    REQUIRE(pending);
    const OneTimeCode old_link = f.last_code(NotificationKind::activation, "typo@exampel.com");
    f.make_user("boss", true);
    UserPatch fix;
    fix.email = "typo@example.com";
    REQUIRE(f.service->update_user(f.principal_of("boss"), pending->user.id, fix));
    CHECK(f.service->activate(old_link).error().fields.find("token"));
    REQUIRE(f.service->activate(f.last_code(NotificationKind::activation, "typo@example.com")));
}

TEST_CASE("Passwords must be UTF-8 - and are bounded in bytes too", "[service][validation]")
{
    ServiceFixture f;
    NewUser in;
    in.username = "bytes";
    in.email = "bytes@example.com";
    in.require_activation = false;
    // Stray continuation bytes count as no characters: the length rule alone would let 1 MiB through.
    in.password = good_password + std::string(1 << 20, '\x80');
    auto refused = f.service->register_user(in);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::invalid_argument);
    CHECK(problems(refused.error(), "password") == std::vector<std::string>{"password_not_utf8"});
    in.password = "\xff\xfe-Horse-battery-9";
    refused = f.service->register_user(in);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().fields.find("password"));
    in.first_name = "\xc3";  // a cut sequence
    in.password = good_password;
    refused = f.service->register_user(in);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().fields.find("first_name"));
    // Well-formed text of any script is fine.
    in.first_name = "Zoë 李";
    in.password = "пароль-Horse-battery-9";
    CHECK(f.service->register_user(in));
}

TEST_CASE("An avatar on an anonymous registration is size-checked like any upload", "[service][accounts]")
{
    ServiceFixture f([](Config& c) { c.max_avatar_bytes = 1024; });
    NewUser in;
    in.username = "big";
    in.email = "big@example.com";
    in.password = good_password;
    in.avatar_image = tiny_png + std::string(2000, '\0');
    auto refused = f.service->register_user(in);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().fields.find("avatar"));
    std::size_t files = 0;
    if (std::filesystem::exists(f.dir / "media"))
        for (const auto& e : std::filesystem::recursive_directory_iterator(f.dir / "media")) files += e.is_regular_file();
    CHECK(files == 0);  // nothing was stored
}

TEST_CASE("purge_expired shrinks every table that grows - accounts never activated go with their media", "[service][purge]")
{
    ServiceFixture f([](Config& c) {
        c.rotate_refresh_tokens = true;
        c.access_token_lifetime = std::chrono::seconds(60);
        c.refresh_token_lifetime = std::chrono::seconds(3600);
        c.unactivated_account_lifetime = std::chrono::days(7);
    });
    const auto count = [&](const std::string& table) { return count_rows(f.dir.path(), table); };
    f.make_user("amy");
    auto tokens = f.service->login("amy", good_password);
    REQUIRE(tokens);
    REQUIRE(f.service->refresh(tokens->refresh));
    REQUIRE(f.service->request_password_reset("amy@example.com"));
    NewUser ghost = pending_user("ghost", "ghost@example.com");
    ghost.avatar_image = tiny_png;
    auto made = f.service->register_user(ghost);  // inactive, never activated
    REQUIRE(made);
    const auto avatar = f.dir / "media" / made->user.avatar;
    REQUIRE(std::filesystem::exists(avatar));
    CHECK(count("sessions") == 1);
    CHECK(count("refresh_uses") == 1);
    CHECK(count("one_time_tokens") == 2);
    CHECK(count("users") == 2);

    REQUIRE(f.service->purge_expired());  // nothing has expired yet
    CHECK(count("sessions") == 1);
    CHECK(count("one_time_tokens") == 2);
    CHECK(count("users") == 2);

    f.clock->advance(std::chrono::days(8));
    REQUIRE(f.service->purge_expired());
    CHECK(count("sessions") == 0);
    CHECK(count("refresh_uses") == 0);
    CHECK(count("one_time_tokens") == 0);
    CHECK(count("users") == 1);
    CHECK_FALSE(std::filesystem::exists(avatar));
    CHECK(f.service->login("amy", good_password));  // the activated account stays
}

TEST_CASE("With rotation a session slides with its refresh tokens - purges keep it while it is used", "[service][purge]")
{
    ServiceFixture f([](Config& c) {
        c.rotate_refresh_tokens = true;
        c.refresh_token_lifetime = std::chrono::seconds(3600);
    });
    f.make_user("sam");
    auto pair = f.service->login("sam", good_password);
    REQUIRE(pair);
    // Refresh every 40 minutes for three hours, purging each time: the session never ends.
    for (int i = 0; i < 5; ++i) {
        f.clock->advance(std::chrono::minutes(40));
        REQUIRE(f.service->purge_expired());
        auto next = f.service->refresh(pair->refresh);
        REQUIRE(next);
        pair = next;
    }
    CHECK(f.service->authenticate(pair->access));
    // Left alone past the last token's lifetime, it goes.
    f.clock->advance(std::chrono::minutes(61));
    REQUIRE(f.service->purge_expired());
    CHECK(f.service->refresh(pair->refresh).error().code != Errc::rate_limited);
    CHECK_FALSE(f.service->refresh(pair->refresh));
}

TEST_CASE("A month of daily logins, resets and abandoned sign-ups does not grow the database", "[service][purge]")
{
    ServiceFixture f([](Config& c) {
        c.rotate_refresh_tokens = true;
        c.access_token_lifetime = std::chrono::minutes(5);
        c.refresh_token_lifetime = std::chrono::hours(12);
        c.password_reset_token_lifetime = std::chrono::hours(1);
        c.activation_token_lifetime = std::chrono::hours(24);
        c.unactivated_account_lifetime = std::chrono::days(2);
    });
    f.make_user("daily");
    const auto rows = [&] {
        long n = 0;
        for (const char* table : {"users", "sessions", "refresh_uses", "one_time_tokens"}) n += count_rows(f.dir.path(), table);
        return n;
    };
    std::vector<long> after_purge;
    for (int day = 0; day < 30; ++day) {
        for (int i = 0; i < 4; ++i) {
            auto tokens = f.service->login("daily", good_password);
            REQUIRE(tokens);
            REQUIRE(f.service->refresh(tokens->refresh));
        }
        REQUIRE(f.service->request_password_reset("daily@example.com"));
        REQUIRE(f.service->register_user(pending_user("gone" + std::to_string(day), "gone" + std::to_string(day) + "@example.com")));
        f.clock->advance(std::chrono::hours(24));
        REQUIRE(f.service->purge_expired());  // what the server's PeriodicPurge does on its schedule
        after_purge.push_back(rows());
    }
    // The counts level off: after the first days, every day's purge leaves what one day leaves.
    for (std::size_t day = 3; day < after_purge.size(); ++day) CHECK(after_purge[day] == after_purge[2]);
    CHECK(after_purge.back() < 20);
}
