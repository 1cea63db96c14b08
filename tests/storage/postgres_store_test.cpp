// What the PostgreSQL store adds to the contract: migrations, nodes that share one database
// (changes announced to every node's cache, one name / one token / one limit across nodes).
// These run in ctest's "postgres: " copy of this binary, against a real server.
#include "usermgmt/postgres_store.hpp"

#include "../support/temp_dir.hpp"
#include "../support/test_store.hpp"
#include "throttle_checks.hpp"
#include "user_store_contract_user.hpp"

#include <libpq-fe.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

using namespace usermgmt;

namespace {

// Another node: its own store (pool, listener) on the same schema.
std::unique_ptr<UserStore> node(const test::TempDir& dir)
{
    auto store = open_postgres_store(test::test_postgres_conninfo(), test::test_postgres_options(dir.path()));
    REQUIRE(store);
    return std::move(*store);
}

// Runs SQL on the test database, in the schema of `dir`.
void sql(const test::TempDir& dir, const std::string& statement)
{
    PGconn* c = PQconnectdb(test::test_postgres_conninfo().c_str());
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PGresult* r = PQexec(c, ("SET search_path TO \"" + dir.path().filename().string() + "\"; " + statement).c_str());
    const auto status = PQresultStatus(r);
    PQclear(r);
    PQfinish(c);
    REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
}

// Four threads at once, alternating the two nodes, each running `attempt(node, thread)`; the
// outcomes it names, counted (Catch's assertions stay on this thread).
template <class Attempt>
std::map<std::string, int> race(UserStore& a, UserStore& b, Attempt attempt)
{
    std::mutex mutex;
    std::map<std::string, int> outcomes;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            const std::string outcome = attempt(t % 2 ? a : b, t);
            std::lock_guard lock(mutex);
            ++outcomes[outcome];
        });
    for (auto& thread : threads) thread.join();
    return outcomes;
}

// data_version as the node's cache reads it, waiting (bounded) for an announcement in flight.
bool version_moves(UserStore& store, std::uint64_t before)
{
    for (int i = 0; i < 200; ++i) {
        auto now = store.data_version();
        if (now && *now != before) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

}  // namespace

TEST_CASE("PostgreSQL: a commit through one node moves data_version at the other", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto a = node(dir);
    auto b = node(dir);
    auto before = b->data_version();
    REQUIRE(before);
    auto stable = b->data_version();
    REQUIRE(stable);
    CHECK(*stable == *before);  // nothing changed: the cache may trust what it holds
    auto made = a->insert_user(test::contract_user("amy"));
    REQUIRE(made);
    CHECK(version_moves(*b, *before));
    // The other node reads the row from the database.
    auto seen = b->find_user(made->user.id);
    REQUIRE(seen);
    CHECK(seen->user.username == "amy");
}

TEST_CASE("PostgreSQL: looks that must not block - many at once, each sees every commit acknowledged before it", "[postgres][concurrency]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto a = node(dir);
    auto b = node(dir);
    CHECK(b->data_version_waits());
    auto before = b->data_version();
    REQUIRE(before);
    REQUIRE(a->insert_user(test::contract_user("amy")));  // acknowledged before any look below

    // 8 threads x 50 looks, left as callbacks: none blocks its thread, each is answered once,
    // by a round trip that began after it was asked (so it counts amy's commit).
    constexpr int threads = 8, looks = 50;
    std::mutex mutex;
    std::condition_variable answered;
    int answers = 0, stale = 0, failed = 0;
    std::vector<std::thread> askers;
    for (int t = 0; t < threads; ++t)
        askers.emplace_back([&] {
            for (int i = 0; i < looks; ++i)
                b->async_data_version([&](const Result<std::uint64_t>& version) {
                    std::lock_guard lock(mutex);
                    ++answers;
                    if (!version) ++failed;
                    else if (*version == *before) ++stale;
                    answered.notify_all();
                });
        });
    for (auto& asker : askers) asker.join();
    std::unique_lock lock(mutex);
    CHECK(answered.wait_for(lock, std::chrono::seconds(10), [&] { return answers == threads * looks; }));
    CHECK(answers == threads * looks);
    CHECK(failed == 0);
    CHECK(stale == 0);
}

TEST_CASE("PostgreSQL: a look still waiting when the store closes is answered - once, with an error or a version", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    std::atomic<int> answers{0};
    for (int round = 0; round < 20; ++round) {
        auto store = node(dir);
        for (int i = 0; i < 10; ++i) store->async_data_version([&](const Result<std::uint64_t>&) { ++answers; });
        store.reset();  // closes with looks on the wire or still queued
        CHECK(answers == (round + 1) * 10);
    }
}

TEST_CASE("PostgreSQL: a frozen database fails the looks waiting for it within the wait timeout - then they work again", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    // The node's connections are named, so that this test finds its own listener among the
    // other tests' (they run beside it).
    const std::string name = "freeze-" + dir.path().filename().string();
    auto options = test::test_postgres_options(dir.path());
    options.wait_timeout = std::chrono::milliseconds(300);
    auto opened = open_postgres_store(test::test_postgres_conninfo() + " application_name=" + name, options);
    REQUIRE(opened);
    auto& store = **opened;
    REQUIRE(store.data_version());  // the listener's last query is now the empty one

    PGconn* c = PQconnectdb(test::test_postgres_conninfo().c_str());
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PGresult* r = PQexec(c, ("SELECT pid FROM pg_stat_activity WHERE application_name = '" + name + "' AND query = ''").c_str());
    REQUIRE(PQresultStatus(r) == PGRES_TUPLES_OK);
    REQUIRE(PQntuples(r) == 1);
    const pid_t listener = std::stoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);

    // The listener's server process stops (its TCP or socket stays up: nothing tells libpq).
    REQUIRE(::kill(listener, SIGSTOP) == 0);
    const auto started = std::chrono::steady_clock::now();
    std::promise<Result<std::uint64_t>> answered;
    auto answer = answered.get_future();
    store.async_data_version([&](const Result<std::uint64_t>& version) { answered.set_value(version); });
    const bool in_time = answer.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    ::kill(listener, SIGCONT);
    REQUIRE(in_time);
    const auto waited = std::chrono::steady_clock::now() - started;
    const auto version = answer.get();
    REQUIRE_FALSE(version);  // unsure: nothing may be served from a cache
    CHECK(version.error().code == Errc::storage_failure);
    CHECK(waited < std::chrono::seconds(5));
    // The listener reconnects (at most every 100 ms) and looks work again.
    bool back = false;
    for (int i = 0; i < 100 && !back; ++i) {
        back = static_cast<bool>(store.data_version());
        if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(back);
}

TEST_CASE("PostgreSQL: a login is not announced to the other nodes - every other change of a user is", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    // On a new schema, and on one of version 2 (which announced logins) upgraded in place.
    const bool upgraded = GENERATE(false, true);
    if (upgraded) {
        node(dir);
        sql(dir, "DROP TRIGGER users_announce_update ON users; DROP TRIGGER users_announce ON users; "
                 "DROP TRIGGER sessions_announce ON sessions; "
                 "CREATE TRIGGER users_announce AFTER INSERT OR UPDATE OR DELETE ON users "
                 "FOR EACH STATEMENT EXECUTE FUNCTION usermgmt_announce(); "
                 "CREATE TRIGGER sessions_announce AFTER INSERT OR UPDATE OR DELETE ON sessions "
                 "FOR EACH STATEMENT EXECUTE FUNCTION usermgmt_announce(); "
                 "UPDATE usermgmt_schema SET version = 2");
    }
    auto a = node(dir);
    auto b = node(dir);
    auto made = a->insert_user(test::contract_user("lou"));
    REQUIRE(made);
    const UserId id = made->user.id;
    auto before = b->data_version();
    REQUIRE(before);
    // Each look is a round trip that sees every announcement committed before it, and each
    // announcing transaction moves the version by exactly one: how far it moved is how many of
    // the changes since the last look were announced.
    const auto announced = [&] {
        auto now = b->data_version();
        REQUIRE(now);
        const auto count = *now - *before;
        before = now;
        return count;
    };
    const TimePoint at = test::contract_user("x").user.date_joined + std::chrono::hours(1);
    const SessionRecord session{"login-1", id, at, at + std::chrono::hours(1), std::nullopt};
    REQUIRE(a->record_login(id, made->password_hash, at, session));
    REQUIRE(a->create_session(SessionRecord{"login-2", id, at, at + std::chrono::hours(1), std::nullopt}));
    sql(dir, "UPDATE users SET last_login = last_login + 1 WHERE id = " + std::to_string(id));
    CHECK(b->find_user(id)->user.last_login);  // in the database all the same
    // What a node's cache holds changes: announced, once each.
    REQUIRE(a->end_session("login-1", at + std::chrono::minutes(1)));
    CHECK(announced() == 1);
    StoredUser renamed = *a->find_user(id);
    renamed.user.first_name = "Louise";
    REQUIRE(a->update_user(renamed));
    renamed.user.is_active = false;
    REQUIRE(a->update_user(renamed));
    sql(dir, "UPDATE users SET password_hash = 'other' WHERE id = " + std::to_string(id));
    CHECK(announced() == 3);
    auto refused = a->record_login(id, "other", at, SessionRecord{"login-3", id, at, at, std::nullopt});
    REQUIRE_FALSE(refused);  // inactive: nothing written
    CHECK(refused.error().code == Errc::not_found);
    REQUIRE(a->erase_user(id));
    CHECK(announced() == 1);
}

TEST_CASE("PostgreSQL: the schema is versioned - reopening keeps the data, a newer schema is refused", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    UserId id = 0;
    {
        auto store = node(dir);
        auto made = store->insert_user(test::contract_user("keep"));
        REQUIRE(made);
        id = made->user.id;
    }
    {
        auto reopened = node(dir);
        auto found = reopened->find_user(id);
        REQUIRE(found);
        CHECK(found->user.username == "keep");
    }
    sql(dir, "UPDATE usermgmt_schema SET version = " + std::to_string(postgres_schema_version() + 1));
    auto refused = open_postgres_store(test::test_postgres_conninfo(), test::test_postgres_options(dir.path()));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::storage_failure);
    CHECK(refused.error().message.find("newer") != std::string::npos);
}

TEST_CASE("PostgreSQL: a version 1 schema gets the mail queue (migration 2) and keeps its data", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    UserId id = 0;
    {
        auto store = node(dir);
        id = store->insert_user(test::contract_user("kept"))->user.id;
    }
    sql(dir, "DROP TABLE mail_queue; UPDATE usermgmt_schema SET version = 1");
    auto upgraded = node(dir);
    CHECK(upgraded->find_user(id));
    QueuedMail mail;
    mail.user_id = id;
    mail.message.to = "kept@example.com";
    CHECK(upgraded->put_mail(mail));
    CHECK(upgraded->count_mail(TimePoint{})->queued == 1);
}

TEST_CASE("PostgreSQL: nodes opening one new schema at once all succeed", "[postgres][concurrency]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    const auto conninfo = test::test_postgres_conninfo();
    const auto options = test::test_postgres_options(dir.path());
    std::atomic<int> opened{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            if (open_postgres_store(conninfo, options)) ++opened;
        });
    for (auto& t : threads) t.join();
    CHECK(opened == 4);
}

TEST_CASE("PostgreSQL: one name on two nodes at once - exactly one insert wins", "[postgres][concurrency]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto a = node(dir);
    auto b = node(dir);
    for (int round = 0; round < 10; ++round) {
        auto outcomes = race(*a, *b, [&](UserStore& node, int t) {
            auto user = test::contract_user("racer" + std::to_string(round));
            if (t >= 2) user.user.username[0] = 'R';  // another case of the same name
            auto made = node.insert_user(user);
            return made ? "won" : made.error().code == Errc::already_exists ? "clashed" : "failed";
        });
        CHECK(outcomes["won"] == 1);
        CHECK(outcomes["clashed"] == 3);
    }
}

TEST_CASE("PostgreSQL: a one-time token is consumed once across nodes", "[postgres][concurrency]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto a = node(dir);
    auto b = node(dir);
    auto user = a->insert_user(test::contract_user("tok"));
    REQUIRE(user);
    for (int round = 0; round < 10; ++round) {
        TokenRecord t;
        t.purpose = TokenPurpose::password_reset;
        t.user_id = user->user.id;
        t.digest = std::string(31, 'd') + static_cast<char>('a' + round);
        t.created_at = TimePoint(std::chrono::seconds(1'800'000'000));
        t.expires_at = t.created_at + std::chrono::hours(1);
        REQUIRE(a->put_token(t));
        auto outcomes = race(*a, *b, [&](UserStore& node, int) {
            return node.consume_token(t.purpose, t.digest, t.created_at) ? "consumed" : "refused";
        });
        CHECK(outcomes["consumed"] == 1);
    }
}

TEST_CASE("PostgreSQL: a refresh token used on two nodes at once - exactly one first use", "[postgres][concurrency]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto a = node(dir);
    auto b = node(dir);
    auto user = a->insert_user(test::contract_user("rot"));
    REQUIRE(user);
    const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));
    SessionRecord session{"session-rot", user->user.id, t0, t0 + std::chrono::hours(1), std::nullopt};
    REQUIRE(a->create_session(session));
    for (int round = 0; round < 10; ++round) {
        const std::string digest = std::string(31, 'r') + static_cast<char>('a' + round);
        auto outcomes = race(*a, *b, [&](UserStore& node, int) {
            auto use = node.record_refresh_use(digest, session.id, t0, t0 + std::chrono::hours(2));
            return !use ? "failed" : !*use ? "first" : "reused";
        });
        CHECK(outcomes["first"] == 1);
        CHECK(outcomes["reused"] == 3);
    }
}

TEST_CASE("PostgreSQL: concurrent changes of one user through two nodes lose nothing", "[postgres][concurrency]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto a = node(dir);
    auto b = node(dir);
    auto made = a->insert_user(test::contract_user("counter"));
    REQUIRE(made);
    const UserId id = made->user.id;
    // Each transaction re-reads the row and appends one character to first_name: with the row
    // locked between the read and the write, every append survives.
    std::atomic<int> failed{0};  // counted here: Catch's assertions are not for other threads
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            UserStore& store = t % 2 ? *a : *b;
            for (int i = 0; i < 10; ++i) {
                auto ok = store.in_transaction([&](UserStore& s) -> Result<void> {
                    auto row = s.find_user(id);
                    if (!row) return std::move(row).error();
                    row->user.first_name += "x";
                    return s.update_user(*row);
                });
                if (!ok) ++failed;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(failed == 0);
    auto final = a->find_user(id);
    REQUIRE(final);
    CHECK(final->user.first_name == "First" + std::string(40, 'x'));
}

TEST_CASE("PostgreSQL: a server that cannot be reached is a storage failure", "[postgres]")
{
    auto refused = open_postgres_store("host=/nonexistent-dir-for-usermgmt user=nobody dbname=none connect_timeout=2");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::storage_failure);
}

TEST_CASE("PostgreSQL throttle store: fixed windows, one limit across nodes under contention", "[postgres][throttle][concurrency]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto users = node(dir);  // creates the schema and its throttle table
    const auto conninfo = test::test_postgres_conninfo();
    auto a = open_postgres_throttle_store(conninfo, test::test_postgres_options(dir.path()));
    auto b = open_postgres_throttle_store(conninfo, test::test_postgres_options(dir.path()));
    REQUIRE(a);
    REQUIRE(b);
    test::check_fixed_windows(**a);
    const RateLimit limit{25, std::chrono::seconds(60)};
    test::check_one_limit_under_contention(**a, **b, limit);
    // Ended windows are forgotten: the key counts from zero again.
    REQUIRE((*a)->purge(test::t0 + std::chrono::seconds(3600)));
    CHECK(test::hit(**b, "login|account|amy", limit, test::t0 + std::chrono::seconds(3600)) == 0);
}

TEST_CASE("PostgreSQL: work that goes on past a failed statement is not reported committed", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto store = node(dir);
    auto user = store->insert_user(test::contract_user("half"));
    REQUIRE(user);
    TokenRecord t;
    t.purpose = TokenPurpose::activation;
    t.user_id = user->user.id;
    t.digest = std::string(32, 'h');
    t.created_at = TimePoint(std::chrono::seconds(1'800'000'000));
    t.expires_at = t.created_at + std::chrono::hours(1);
    REQUIRE(store->put_token(t));
    // The second put clashes; the work ignores that and changes the user: PostgreSQL has
    // aborted the transaction, so the whole of it must fail, and the change must not be there.
    auto done = store->in_transaction([&](UserStore& s) -> Result<void> {
        (void)s.put_token(t);
        auto row = s.find_user(user->user.id);
        if (row) {
            row->user.first_name = "Changed";
            (void)s.update_user(*row);
        }
        return {};
    });
    CHECK_FALSE(done);
    auto after = store->find_user(user->user.id);
    REQUIRE(after);
    CHECK(after->user.first_name == "First");
}

TEST_CASE("PostgreSQL: changes in another schema of the database do not move this one's data_version", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir mine;
    test::TempDir other;
    auto a = node(mine);
    auto b = node(other);
    auto before = a->data_version();
    REQUIRE(before);
    REQUIRE(b->insert_user(test::contract_user("elsewhere")));
    // Give the other schema's announcement time to arrive; it must be ignored.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto after = a->data_version();
    REQUIRE(after);
    CHECK(*after == *before);
    REQUIRE(a->insert_user(test::contract_user("here")));
    CHECK(version_moves(*a, *after));
}

TEST_CASE("PostgreSQL: case folds ASCII only, as SQLite's NOCASE does", "[postgres]")
{
    REQUIRE(test::on_postgres());
    test::TempDir dir;
    auto store = node(dir);
    REQUIRE(store->create_group("Émile"));
    CHECK(store->create_group("émile"));  // not the same name: only ASCII letters fold
    CHECK(store->create_group("ÉMILE").error().code == Errc::already_exists);  // folds to "Émile"
    CHECK(store->create_group("éMILE").error().code == Errc::already_exists);  // folds to "émile"
}
