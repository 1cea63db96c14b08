#include "usermgmt/sqlite_store.hpp"

#include "../support/sqlite_query.hpp"
#include "../support/temp_dir.hpp"

#include <sqlite3.h>

#include <atomic>
#include <future>
#include <thread>

using namespace usermgmt;

namespace {
struct SqliteBackend {
    static std::unique_ptr<UserStore> make()
    {
        const auto& dir = test::lasting_temp_dir();  // its own file (or schema) per test
        auto store = open_sqlite_store(dir / "contract.db");
        REQUIRE(store);
        return std::move(*store);
    }
};
}  // namespace

#define USERMGMT_CONTRACT_BACKENDS SqliteBackend
#include "user_store_contract.hpp"
#include "mail_queue_contract.hpp"

TEST_CASE("SQLite: data survives closing and reopening the file", "[sqlite]")
{
    test::TempDir dir;
    UserId id = 0;
    {
        auto store = open_sqlite_store(dir / "users.db");
        REQUIRE(store);
        auto made = (*store)->insert_user(contract_user("persist"));
        REQUIRE(made);
        id = made->user.id;
    }
    auto reopened = open_sqlite_store(dir / "users.db");
    REQUIRE(reopened);
    auto found = (*reopened)->find_user(id);
    REQUIRE(found);
    CHECK(found->user.username == "persist");
    CHECK((*reopened)->list_users(ListQuery{})->total == 1);
}

TEST_CASE("SQLite: WAL mode - foreign keys and the schema version are in place", "[sqlite]")
{
    test::TempDir dir;
    REQUIRE(open_sqlite_store(dir / "users.db"));
    CHECK(test::query_text(dir / "users.db", "PRAGMA journal_mode") == "wal");
    CHECK(test::query_text(dir / "users.db", "PRAGMA user_version") == std::to_string(sqlite_schema_version()));
}

TEST_CASE("SQLite: a database from a newer version is refused with a clear error", "[sqlite]")
{
    test::TempDir dir;
    REQUIRE(open_sqlite_store(dir / "users.db"));
    test::exec_sql(dir / "users.db", "PRAGMA user_version = 999");
    auto refused = open_sqlite_store(dir / "users.db");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::storage_failure);
    CHECK(refused.error().message.find("newer") != std::string::npos);
}

TEST_CASE("SQLite: an older database is upgraded in place", "[sqlite]")
{
    // Version 0 is an empty file: every migration runs on open, and again nothing on reopen.
    test::TempDir dir;
    test::exec_sql(dir / "users.db", "CREATE TABLE unrelated(x)");
    REQUIRE(open_sqlite_store(dir / "users.db"));
    auto again = open_sqlite_store(dir / "users.db");
    REQUIRE(again);
    CHECK((*again)->insert_user(contract_user("upgraded")));
}

TEST_CASE("SQLite: a version 1 database gets the later migrations and keeps its data", "[sqlite]")
{
    test::TempDir dir;
    {
        auto store = open_sqlite_store(dir / "users.db");
        REQUIRE(store);
        REQUIRE((*store)->insert_user(contract_user("kept")));
    }
    // Make it look as version 1 wrote it.
    test::exec_sql(dir / "users.db", "DROP TABLE mail_queue; DROP INDEX users_by_id; DROP TABLE refresh_uses; DROP TRIGGER users_block_insert; "
                   "DROP TRIGGER users_block_delete; DROP TABLE user_id_blocks; DROP INDEX users_never_activated; "
                   "ALTER TABLE users DROP COLUMN activated_at; ALTER TABLE users DROP COLUMN disabled; "
                   "PRAGMA user_version = 1");
    auto upgraded = open_sqlite_store(dir / "users.db");
    REQUIRE(upgraded);
    CHECK((*upgraded)->find_user_by_username("kept"));
    CHECK((*upgraded)->list_users(ListQuery{10, 0, "", ""})->users.size() == 1);
    CHECK(test::query_text(dir / "users.db",
                           "SELECT count(*) FROM sqlite_master WHERE name IN ('users_by_id', 'refresh_uses', "
                           "'user_id_blocks', 'users_block_insert', 'users_block_delete', 'mail_queue')") == "6");
    // Migration 4 counted the users that were already there; 5 counts an active one as activated.
    CHECK(test::query_text(dir / "users.db", "SELECT sum(users) FROM user_id_blocks") == "1");
    CHECK((*upgraded)->find_user_by_username("kept")->user.activated_at);
}

TEST_CASE("SQLite: migration 5 tells bans from pending activations in existing rows", "[sqlite]")
{
    test::TempDir dir;
    const TimePoint t0 = contract_user("x").user.date_joined;
    {
        auto store = open_sqlite_store(dir / "users.db");
        REQUIRE(store);
        const auto add = [&](const std::string& name, bool active, bool logged_in) {
            StoredUser r = contract_user(name);
            r.user.is_active = active;
            if (logged_in) r.user.last_login = t0;
            auto made = (*store)->insert_user(r);
            REQUIRE(made);
            return made->user.id;
        };
        add("active", true, true);
        const UserId pending = add("pending", false, false);
        add("banned", false, true);         // deactivated by staff: its links were deleted
        add("banned-early", false, false);  // deactivated before it was ever activated
        const UserId reverifying = add("reverifying", false, true);
        REQUIRE((*store)->put_token(TokenRecord{TokenPurpose::activation, pending, digest_of('p'), t0, t0, false}));
        REQUIRE((*store)->put_token(TokenRecord{TokenPurpose::activation, reverifying, digest_of('r'), t0, t0, false}));
    }
    // As version 4 wrote it.
    test::exec_sql(dir / "users.db", "DROP TABLE mail_queue; DROP INDEX users_never_activated; "
                   "ALTER TABLE users DROP COLUMN activated_at; "
                   "ALTER TABLE users DROP COLUMN disabled; PRAGMA user_version = 4");
    auto store = open_sqlite_store(dir / "users.db");
    REQUIRE(store);
    const auto user = [&](const std::string& name) { return (*store)->find_user_by_username(name)->user; };
    CHECK(user("active").activated_at);
    CHECK_FALSE(user("active").disabled);
    CHECK_FALSE(user("pending").activated_at);
    CHECK_FALSE(user("pending").disabled);
    CHECK(user("banned").disabled);
    CHECK(user("banned").activated_at);
    CHECK(user("banned-early").disabled);
    CHECK(user("banned-early").activated_at);  // never purged as "never activated"
    CHECK(user("reverifying").activated_at);
    CHECK_FALSE(user("reverifying").disabled);
    // Only the pending account is one purge may delete.
    auto gone = (*store)->erase_unactivated(t0 + std::chrono::hours(24 * 365));
    REQUIRE(gone);
    REQUIRE(gone->size() == 1);
    CHECK(gone->front().username == "pending");
}

TEST_CASE("SQLite: a path that cannot be opened is a storage failure", "[sqlite]")
{
    test::TempDir dir;
    auto bad = open_sqlite_store(dir / "missing-dir" / "users.db");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::storage_failure);
}

TEST_CASE("SQLite: concurrent inserts of one name give exactly one success", "[sqlite][concurrency]")
{
    test::TempDir dir;
    auto opened = open_sqlite_store(dir / "users.db", SqliteOptions{std::chrono::milliseconds(10000), 8});
    REQUIRE(opened);
    UserStore& store = **opened;
    constexpr int threads = 8;
    constexpr int per_thread = 25;
    std::atomic<int> same_ok{0};
    std::atomic<int> same_clash{0};
    std::atomic<int> other_errors{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                // Everyone races for "shared"; each thread also inserts names of its own.
                auto same = store.insert_user(contract_user("shared"));
                if (same) ++same_ok;
                else if (same.error().code == Errc::already_exists) ++same_clash;
                else ++other_errors;
                if (!store.insert_user(contract_user("t" + std::to_string(t) + "-" + std::to_string(i)))) ++other_errors;
            }
        });
    }
    for (auto& th : pool) th.join();
    CHECK(same_ok == 1);
    CHECK(same_clash == threads * per_thread - 1);
    CHECK(other_errors == 0);
    CHECK(store.list_users(ListQuery{})->total == threads * per_thread + 1);
}

TEST_CASE("SQLite: data_version sees a commit made by another store on the same file", "[sqlite]")
{
    // Two stores on one file stand for two processes: neither shares a connection with the other.
    test::TempDir dir;
    auto a = open_sqlite_store(dir / "users.db");
    auto b = open_sqlite_store(dir / "users.db");
    REQUIRE(a);
    REQUIRE(b);
    const auto before = (*b)->data_version();
    REQUIRE(before);
    REQUIRE((*a)->insert_user(contract_user("elsewhere")));
    const auto after = (*b)->data_version();
    REQUIRE(after);
    CHECK(*after != *before);
    CHECK(*(*b)->data_version() == *after);  // nothing new since
}

TEST_CASE("SQLite: reads get a connection while every writer slot is taken - and no wait is unbounded", "[sqlite][concurrency]")
{
    test::TempDir dir;
    // Two connections: one for writers, one kept for reads. A short busy timeout bounds every wait.
    auto opened = open_sqlite_store(dir / "users.db", SqliteOptions{std::chrono::milliseconds(1000), 2});
    REQUIRE(opened);
    UserStore& store = **opened;
    auto made = store.insert_user(contract_user("reader"));
    REQUIRE(made);

    // A writer stuck in its transaction (as one waiting on a lock would be) holds its connection.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> holding{false};
    std::thread stuck([&] {
        (void)store.in_transaction([&](UserStore&) -> Result<void> {
            holding = true;
            released.wait();
            return {};
        });
    });
    while (!holding) std::this_thread::yield();

    // A second writer finds no writer slot: it fails after the busy timeout instead of waiting for ever.
    std::atomic<bool> second_done{false};
    Result<void> second;
    std::thread waiting([&] {
        second = store.create_group("late");
        second_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it start waiting

    // Meanwhile a read is answered at once, before the waiting writer gives up.
    auto found = store.find_user(made->user.id);
    CHECK(found);
    CHECK_FALSE(second_done);
    CHECK(store.ping());

    waiting.join();
    REQUIRE_FALSE(second);
    CHECK(second.error().code == Errc::storage_failure);
    release.set_value();
    stuck.join();
    CHECK(store.create_group("later"));  // the pool recovers
}

TEST_CASE("SQLite: data_version moves with every commit - its own, another store's, a bare connection's, across checkpoints", "[sqlite]")
{
    test::TempDir dir;
    auto a = open_sqlite_store(dir / "users.db");
    auto b = open_sqlite_store(dir / "users.db");
    REQUIRE(a);
    REQUIRE(b);
    auto made = (*a)->insert_user(contract_user("watched"));
    REQUIRE(made);
    sqlite3* bare = nullptr;
    REQUIRE(sqlite3_open((dir / "users.db").string().c_str(), &bare) == SQLITE_OK);
    auto version = *(*a)->data_version();
    for (int i = 0; i < 40; ++i) {
        // Each kind of writer in turn; every one of their commits is seen, and nothing else moves it.
        StoredUser changed = *(*a)->find_user(made->user.id);
        changed.user.first_name = "n" + std::to_string(i);
        if (i % 4 == 0) REQUIRE((*a)->update_user(changed));
        if (i % 4 == 1) REQUIRE((*b)->update_user(changed));
        if (i % 4 == 2)
            REQUIRE(sqlite3_exec(bare, ("UPDATE users SET first_name = 'x" + std::to_string(i) + "'").c_str(), nullptr,
                                 nullptr, nullptr) == SQLITE_OK);
        if (i % 4 == 3) {
            // A checkpoint that empties the WAL, then a commit that starts it over.
            REQUIRE(sqlite3_exec(bare, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
            REQUIRE((*b)->update_user(changed));
        }
        const auto now = *(*a)->data_version();
        CHECK(now != version);
        CHECK(*(*a)->data_version() == now);
        version = now;
    }
    sqlite3_close(bare);
}
