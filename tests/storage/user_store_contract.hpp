#pragma once
// The behaviour UserService relies on, checked for any UserStore backend. A backend's test file
// defines a type with `static std::unique_ptr<UserStore> make()` (a new, empty store), names
// every backend of the binary in USERMGMT_CONTRACT_BACKENDS, and includes this header once:
//
//     #define USERMGMT_CONTRACT_BACKENDS SqliteBackend, PostgresBackend
//     #include "user_store_contract.hpp"
//
// Each contract test then runs once per backend ("contract: … - SqliteBackend").

#include "usermgmt/user_store.hpp"

#include "user_store_contract_user.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <vector>

#ifndef USERMGMT_CONTRACT_BACKENDS
#error "define USERMGMT_CONTRACT_BACKENDS (the backend types) before including user_store_contract.hpp"
#endif

namespace usermgmt::test {


inline std::string digest_of(char c)
{
    return std::string(32, c);
}

}  // namespace usermgmt::test

using usermgmt::test::contract_user;
using usermgmt::test::digest_of;

TEMPLATE_TEST_CASE("contract: insert assigns ids and find returns every column", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    StoredUser in = contract_user("alice");
    in.user.birthdate = Date{2000, 2, 29};
    in.user.avatar = "avatars/x.png";
    in.user.avatar_is_media = true;
    in.user.is_staff = true;
    in.user.groups = {"editors", "admins"};
    in.user.last_login = TimePoint(std::chrono::microseconds(1'700'000'000'123'456));
    in.user.activated_at = TimePoint(std::chrono::microseconds(1'700'000'000'654'321));
    in.user.disabled = true;
    auto made = store->insert_user(in);
    REQUIRE(made);
    CHECK(made->user.id > 0);
    auto found = store->find_user(made->user.id);
    REQUIRE(found);
    const User& u = found->user;
    CHECK(u.username == "alice");
    CHECK(u.email == "alice@example.com");
    CHECK(found->password_hash == "$argon2id$fake");
    CHECK(u.first_name == "First");
    CHECK(u.birthdate == Date{2000, 2, 29});
    CHECK(u.avatar == "avatars/x.png");
    CHECK(u.avatar_is_media);
    CHECK(u.is_active);
    CHECK(u.is_staff);
    CHECK_FALSE(u.is_superuser);
    CHECK(u.groups == std::vector<std::string>{"admins", "editors"});
    CHECK(u.date_joined == in.user.date_joined);
    CHECK(u.last_login == in.user.last_login);
    CHECK(u.activated_at == in.user.activated_at);
    CHECK(u.disabled);
    CHECK(store->find_user(made->user.id + 1000).error().code == Errc::not_found);
}

TEMPLATE_TEST_CASE("contract: an insert with an id keeps it, and later ids come after it", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto first = store->insert_user(contract_user("first"));
    REQUIRE(first);
    StoredUser kept = contract_user("kept");
    kept.user.id = first->user.id + 40;
    auto made = store->insert_user(kept);
    REQUIRE(made);
    CHECK(made->user.id == first->user.id + 40);
    CHECK(store->find_user(first->user.id + 40)->user.username == "kept");
    // A lower free id may be given too; what the store assigns next is past every given one.
    StoredUser lower = contract_user("lower");
    lower.user.id = first->user.id + 20;
    REQUIRE(store->insert_user(lower));
    auto next = store->insert_user(contract_user("next"));
    REQUIRE(next);
    CHECK(next->user.id > first->user.id + 40);
}

TEMPLATE_TEST_CASE("contract: username and email are unique case-insensitively", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    REQUIRE(store->insert_user(contract_user("bob")));
    auto same_name = contract_user("BOB");
    same_name.user.email = "other@example.com";
    auto clash = store->insert_user(same_name);
    REQUIRE_FALSE(clash);
    CHECK(clash.error().code == Errc::already_exists);
    CHECK(clash.error().fields.find("username"));

    auto same_email = contract_user("robert");
    same_email.user.email = "Bob@Example.com";
    auto clash2 = store->insert_user(same_email);
    REQUIRE_FALSE(clash2);
    CHECK(clash2.error().fields.find("email"));

    CHECK(store->find_user_by_username("BoB"));
    CHECK(store->find_user_by_email("BOB@EXAMPLE.COM"));
    CHECK(store->find_user_by_username("bobby").error().code == Errc::not_found);
}

TEMPLATE_TEST_CASE("contract: update writes every column and refuses clashes", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto a = store->insert_user(contract_user("carol"));
    auto b = store->insert_user(contract_user("dave"));
    REQUIRE(a);
    REQUIRE(b);
    StoredUser changed = *a;
    changed.user.email = "carol2@example.com";
    changed.user.birthdate.reset();
    changed.user.groups = {"x"};
    changed.password_hash = "new";
    changed.user.is_active = false;
    REQUIRE(store->update_user(changed));
    auto found = store->find_user(a->user.id);
    CHECK(found->user.email == "carol2@example.com");
    CHECK(found->password_hash == "new");
    CHECK(found->user.groups == std::vector<std::string>{"x"});
    CHECK_FALSE(found->user.is_active);

    StoredUser clash = *b;
    clash.user.email = "CAROL2@example.com";
    auto refused = store->update_user(clash);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::already_exists);
    CHECK(store->find_user(b->user.id)->user.email == "dave@example.com");  // unchanged

    StoredUser ghost = *a;
    ghost.user.id = 999999;
    CHECK(store->update_user(ghost).error().code == Errc::not_found);
}

TEMPLATE_TEST_CASE("contract: erase removes the user with its tokens and sessions", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto a = store->insert_user(contract_user("erin"));
    REQUIRE(a);
    const auto later = TimePoint(std::chrono::seconds(1'900'000'000));
    REQUIRE(store->put_token(TokenRecord{TokenPurpose::password_reset, a->user.id, digest_of('e'), {}, later, false}));
    REQUIRE(store->create_session(SessionRecord{"s-erin", a->user.id, {}, later, std::nullopt}));
    REQUIRE(store->erase_user(a->user.id));
    CHECK(store->find_user(a->user.id).error().code == Errc::not_found);
    CHECK(store->find_token(TokenPurpose::password_reset, digest_of('e')).error().code == Errc::not_found);
    CHECK(store->find_session("s-erin").error().code == Errc::not_found);
    CHECK(store->erase_user(a->user.id).error().code == Errc::not_found);
}

TEMPLATE_TEST_CASE("contract: one-time tokens are single use and purpose-bound", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto a = store->insert_user(contract_user("frank"));
    REQUIRE(a);
    const auto expiry = TimePoint(std::chrono::seconds(1'900'000'000));
    REQUIRE(store->put_token(TokenRecord{TokenPurpose::password_reset, a->user.id, digest_of('f'), {}, expiry, false}));
    // The expiry is visible to the service, which decides.
    auto found = store->find_token(TokenPurpose::password_reset, digest_of('f'));
    REQUIRE(found);
    CHECK(found->expires_at == expiry);
    CHECK_FALSE(found->used);
    CHECK(store->find_token(TokenPurpose::activation, digest_of('f')).error().code == Errc::not_found);

    const TimePoint used_at(std::chrono::seconds(1'700'000'100));
    auto first = store->consume_token(TokenPurpose::password_reset, digest_of('f'), used_at);
    REQUIRE(first);
    CHECK(first->user_id == a->user.id);
    CHECK(store->consume_token(TokenPurpose::password_reset, digest_of('f'), used_at).error().code == Errc::not_found);
    CHECK(store->find_token(TokenPurpose::password_reset, digest_of('f'))->used);

    REQUIRE(store->put_token(TokenRecord{TokenPurpose::password_reset, a->user.id, digest_of('g'), {}, expiry, false}));
    REQUIRE(store->erase_tokens(a->user.id, TokenPurpose::password_reset));
    CHECK(store->find_token(TokenPurpose::password_reset, digest_of('g')).error().code == Errc::not_found);
}

TEMPLATE_TEST_CASE("contract: sessions end one by one or all but one", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto a = store->insert_user(contract_user("gina"));
    REQUIRE(a);
    const auto later = TimePoint(std::chrono::seconds(1'900'000'000));
    for (const char* id : {"s1", "s2", "s3"})
        REQUIRE(store->create_session(SessionRecord{id, a->user.id, {}, later, std::nullopt}));
    const auto at = TimePoint(std::chrono::seconds(1'800'000'000));
    REQUIRE(store->end_session("s1", at));
    CHECK(store->find_session("s1")->ended_at == at);
    CHECK_FALSE(store->find_session("s2")->ended_at);
    REQUIRE(store->end_sessions_of(a->user.id, "s3", at));
    CHECK(store->find_session("s2")->ended_at);
    CHECK_FALSE(store->find_session("s3")->ended_at);
    // Keep nothing, said with a default string_view (no data pointer: empty text, not NULL).
    REQUIRE(store->end_sessions_of(a->user.id, std::string_view{}, at));
    CHECK(store->find_session("s3")->ended_at);
    CHECK(store->find_session("nope").error().code == Errc::not_found);

    REQUIRE(store->create_session(SessionRecord{"old", a->user.id, {}, at, std::nullopt}));
    REQUIRE(store->purge_expired(later - std::chrono::seconds(1)));
    CHECK(store->find_session("old").error().code == Errc::not_found);
    CHECK(store->find_session("s3"));
}

TEMPLATE_TEST_CASE("contract: a login is recorded only while the account is as its password was checked", "[contract]",
                   USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto a = store->insert_user(contract_user("hank"));
    REQUIRE(a);
    const auto later = TimePoint(std::chrono::seconds(1'900'000'000));
    // The backend's own statements and UserStore's default (what a store of an application's
    // own gets) behave alike, alone and inside a caller's transaction.
    for (const bool own : {true, false}) {
        for (const bool nested : {false, true}) {
            INFO((own ? "the backend's record_login" : "UserStore's default record_login")
                 << (nested ? ", inside in_transaction" : ""));
            const std::string prefix = std::string(own ? "own-" : "default-") + (nested ? "nested-" : "");
            // Each pass its own times, so that no check passes on what an earlier pass wrote.
            const auto at = TimePoint(std::chrono::seconds(1'800'000'000 + 10 * (2 * own + nested)));
            const auto record = [&](UserId id, std::string_view hash, const std::string& session, TimePoint when) {
                const SessionRecord s{prefix + session, id, when, later, std::nullopt};
                const auto call = [&](UserStore& in) {
                    return own ? in.record_login(id, hash, when, s) : in.UserStore::record_login(id, hash, when, s);
                };
                if (!nested) return call(*store);
                Result<void> inner = {};
                // The caller's transaction goes on (and commits) whatever the login's outcome.
                REQUIRE(store->in_transaction([&](UserStore& in) -> Result<void> {
                    inner = call(in);
                    return {};
                }));
                return inner;
            };
            REQUIRE(record(a->user.id, a->password_hash, "ok", at));
            CHECK(store->find_user(a->user.id)->user.last_login == at);
            CHECK(store->find_session(prefix + "ok")->user_id == a->user.id);

            // Given another password since the check, deactivated, or gone: nothing is written.
            const auto other = at + std::chrono::seconds(1);
            const auto refused = [](const Result<void>& r) { return !r && r.error().code == Errc::not_found; };
            CHECK(refused(record(a->user.id, "$argon2id$other", "stale", other)));
            StoredUser inactive = *store->find_user(a->user.id);
            inactive.user.is_active = false;
            REQUIRE(store->update_user(inactive));
            CHECK(refused(record(a->user.id, a->password_hash, "inactive", other)));
            inactive.user.is_active = true;
            REQUIRE(store->update_user(inactive));
            CHECK(refused(record(a->user.id + 1000, a->password_hash, "gone", other)));
            for (const char* session : {"stale", "inactive", "gone"})
                CHECK(store->find_session(prefix + session).error().code == Errc::not_found);
            CHECK(store->find_user(a->user.id)->user.last_login == at);

            // A session that cannot be created takes the new last_login back with it.
            CHECK_FALSE(record(a->user.id, a->password_hash, "ok", other));
            CHECK(store->find_user(a->user.id)->user.last_login == at);
        }
    }
}

TEMPLATE_TEST_CASE("contract: the first use of a refresh token is recorded once", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto a = store->insert_user(contract_user("rita"));
    REQUIRE(a);
    const auto later = TimePoint(std::chrono::seconds(1'900'000'000));
    REQUIRE(store->create_session(SessionRecord{"fam", a->user.id, {}, later, std::nullopt}));
    const auto t1 = TimePoint(std::chrono::seconds(1'800'000'000));
    auto first = store->record_refresh_use(digest_of('r'), "fam", t1, t1);
    REQUIRE(first);
    CHECK_FALSE(*first);
    auto again = store->record_refresh_use(digest_of('r'), "fam", t1 + std::chrono::seconds(30), t1);
    REQUIRE(again);
    REQUIRE(*again);
    CHECK(**again == t1);
    CHECK_FALSE(*store->record_refresh_use(digest_of('s'), "fam", t1, t1));
    CHECK(store->find_session("fam")->expires_at == later);  // never shortened
    // A first use extends the session to the new refresh token's expiry (rotation slides it);
    // a reuse extends nothing.
    const auto beyond = later + std::chrono::hours(24);
    CHECK(store->record_refresh_use(digest_of('r'), "fam", t1, beyond + std::chrono::hours(1)));
    CHECK(store->find_session("fam")->expires_at == later);
    CHECK(store->record_refresh_use(digest_of('t'), "fam", t1, beyond));
    CHECK(store->find_session("fam")->expires_at == beyond);
}

TEMPLATE_TEST_CASE("contract: lists are ordered by id - windowed - filtered and counted", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    for (const char* name : {"ann", "anna", "bert", "annie", "carl"}) REQUIRE(store->insert_user(contract_user(name)));
    auto all = store->list_users(ListQuery{2, 1, "", ""});
    REQUIRE(all);
    CHECK(all->total == 5);
    REQUIRE(all->users.size() == 2);
    CHECK(all->users[0].username == "anna");
    CHECK(all->users[1].username == "bert");

    auto prefixed = store->list_users(ListQuery{10, 0, "", "ANN"});
    REQUIRE(prefixed);
    CHECK(prefixed->total == 3);
    CHECK(prefixed->users.size() == 3);
    CHECK(store->list_users(ListQuery{10, 0, "bert@", ""})->total == 1);
    // LIKE wildcards in a prefix match literally.
    CHECK(store->list_users(ListQuery{10, 0, "", "%"})->total == 0);
    CHECK(store->list_users(ListQuery{10, 0, "", "a_n"})->total == 0);
    CHECK(store->list_users(ListQuery{10, 100, "", ""})->users.empty());
    REQUIRE(store->erase_user(all->users[0].id));
    CHECK(store->list_users(ListQuery{10, 0, "", ""})->total == 4);
}

TEMPLATE_TEST_CASE("contract: pages at any offset match the ordered ids - across thousands of users and deletions", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    std::vector<UserId> ids;  // the reference: every id, in order
    const auto insert = [&](int from, int to) {
        REQUIRE(store->in_transaction([&](UserStore& s) -> Result<void> {
            for (int i = from; i < to; ++i) {
                auto made = s.insert_user(contract_user("u" + std::to_string(i)));
                if (!made) return std::move(made).error();
                ids.push_back(made->user.id);
            }
            return {};
        }));
    };
    const auto check_pages = [&] {
        for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{1023}, std::size_t{1024},
                                   std::size_t{1500}, std::size_t{2047}, std::size_t{2048}, ids.size() - 3, ids.size(),
                                   ids.size() + 10}) {
            auto page = store->list_users(ListQuery{5, static_cast<std::int64_t>(offset), "", ""});
            REQUIRE(page);
            CHECK(page->total == static_cast<std::int64_t>(ids.size()));
            std::vector<UserId> expected(ids.begin() + static_cast<std::ptrdiff_t>(std::min(offset, ids.size())),
                                         ids.begin() + static_cast<std::ptrdiff_t>(std::min(offset + 5, ids.size())));
            std::vector<UserId> got;
            for (const auto& u : page->users) got.push_back(u.id);
            INFO("offset " << offset);
            CHECK(got == expected);
        }
    };
    insert(0, 3000);
    check_pages();
    // Delete a whole stretch, some single ids and the newest, then add more after them.
    std::vector<UserId> gone(ids.begin() + 100, ids.begin() + 1300);
    gone.push_back(ids[1500]);
    gone.push_back(ids[2999]);
    for (UserId id : gone) REQUIRE(store->erase_user(id));
    std::erase_if(ids, [&](UserId id) { return std::find(gone.begin(), gone.end(), id) != gone.end(); });
    check_pages();
    insert(3000, 3100);
    check_pages();
}

TEMPLATE_TEST_CASE("contract: groups are named - unique and removable", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    REQUIRE(store->create_group("staff"));
    CHECK(store->create_group("STAFF").error().code == Errc::already_exists);
    auto u = contract_user("hank");
    u.user.groups = {"staff", "new-group"};
    auto made = store->insert_user(u);
    REQUIRE(made);
    CHECK(*store->list_groups() == std::vector<std::string>{"new-group", "staff"});
    REQUIRE(store->erase_group("staff"));
    CHECK(store->find_user(made->user.id)->user.groups == std::vector<std::string>{"new-group"});
    CHECK(store->erase_group("staff").error().code == Errc::not_found);
}

TEMPLATE_TEST_CASE("contract: a failed transaction leaves nothing behind", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto done = store->in_transaction([](UserStore& s) -> Result<void> {
        if (auto made = s.insert_user(contract_user("ivan")); !made) return std::move(made).error();
        return fail(Errc::internal, "abort");
    });
    REQUIRE_FALSE(done);
    CHECK(store->find_user_by_username("ivan").error().code == Errc::not_found);

    auto committed = store->in_transaction([](UserStore& s) -> Result<void> {
        if (auto made = s.insert_user(contract_user("jane")); !made) return std::move(made).error();
        return s.in_transaction([](UserStore& inner) -> Result<void> {
            if (auto made = inner.insert_user(contract_user("joan")); !made) return std::move(made).error();
            return {};
        });
    });
    REQUIRE(committed);
    CHECK(store->find_user_by_username("jane"));
    CHECK(store->find_user_by_username("joan"));
    CHECK(store->ping());

    // A failed inner transaction whose failure the outer work swallows: only its own rows go.
    auto swallowed = store->in_transaction([](UserStore& s) -> Result<void> {
        if (auto made = s.insert_user(contract_user("kept-outer")); !made) return std::move(made).error();
        auto inner = s.in_transaction([](UserStore& i) -> Result<void> {
            if (auto made = i.insert_user(contract_user("undone-inner")); !made) return std::move(made).error();
            return fail(Errc::internal, "inner abort");
        });
        CHECK_FALSE(inner);
        return {};
    });
    REQUIRE(swallowed);
    CHECK(store->find_user_by_username("kept-outer"));
    CHECK(store->find_user_by_username("undone-inner").error().code == Errc::not_found);
}

TEMPLATE_TEST_CASE("contract: accounts never activated are erased once old enough - no other account is", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    using std::chrono::days;
    auto store = TestType::make();
    const TimePoint t0 = contract_user("x").user.date_joined;
    const auto add = [&](const std::string& name, bool active, std::optional<TimePoint> activated, bool disabled,
                         TimePoint joined) {
        StoredUser r = contract_user(name);
        r.user.is_active = active;
        r.user.activated_at = activated;
        r.user.disabled = disabled;
        r.user.date_joined = joined;
        auto made = store->insert_user(r);
        REQUIRE(made);
        return made->user.id;
    };
    const UserId pending = add("pending", false, std::nullopt, false, t0);
    const UserId recent = add("recent", false, std::nullopt, false, t0 + days(10));
    const UserId active = add("active", true, t0, false, t0);
    const UserId banned = add("banned", false, t0, true, t0);             // deactivated by staff
    const UserId banned_early = add("banned-early", false, std::nullopt, true, t0);  // before activating
    const UserId reverifying = add("reverifying", false, t0, false, t0);  // confirming a new address
    TokenRecord token{TokenPurpose::activation, pending, digest_of('p'), t0, t0 + days(3), false};
    REQUIRE(store->put_token(token));
    REQUIRE(store->create_session(SessionRecord{"pending-session", pending, t0, t0 + days(1), std::nullopt}));

    auto gone = store->erase_unactivated(t0 + days(7));
    REQUIRE(gone);
    REQUIRE(gone->size() == 1);
    CHECK(gone->front().username == "pending");
    CHECK(store->find_user(pending).error().code == Errc::not_found);
    CHECK(store->find_token(TokenPurpose::activation, digest_of('p')).error().code == Errc::not_found);
    CHECK(store->find_session("pending-session").error().code == Errc::not_found);
    for (UserId kept : {recent, active, banned, banned_early, reverifying}) CHECK(store->find_user(kept));
    CHECK(store->erase_unactivated(t0 + days(7))->empty());
}

TEMPLATE_TEST_CASE("contract: data_version moves with every committed change", "[contract]", USERMGMT_CONTRACT_BACKENDS)
{
    using namespace usermgmt;
    auto store = TestType::make();
    auto before = store->data_version();
    REQUIRE(before);
    REQUIRE(store->find_user_by_username("nobody").error().code == Errc::not_found);
    CHECK(*store->data_version() == *before);  // reads change nothing
    auto made = store->insert_user(contract_user("versioned"));
    REQUIRE(made);
    auto after_insert = store->data_version();
    REQUIRE(after_insert);
    CHECK(*after_insert != *before);
    REQUIRE(store->end_sessions_of(made->user.id, "", made->user.date_joined));
    StoredUser changed = *made;
    changed.user.first_name = "Changed";
    REQUIRE(store->update_user(changed));
    CHECK(*store->data_version() != *after_insert);
}
