// The SQLite connection layer under the store: which commits wait for the disk.
#include "sqlite/connection.hpp"

#include "../support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt;
using detail::sqlite::Connection;
using detail::sqlite::RelaxedSync;
using detail::sqlite::WriteTransaction;

namespace {

// 2: FULL (every commit synced), 1: NORMAL (synced at checkpoints only).
std::int64_t synchronous(Connection& c)
{
    auto s = c.prepare("PRAGMA synchronous");
    REQUIRE(s);
    REQUIRE(s->next("synchronous").value_or(false));
    return s->integer(0);
}

std::unique_ptr<Connection> open_with_table(const test::TempDir& dir)
{
    auto c = Connection::open((dir / "sync.db").string(), std::chrono::milliseconds(1000));
    REQUIRE(c);
    REQUIRE((*c)->exec("CREATE TABLE t (v INTEGER)"));
    return std::move(*c);
}

std::int64_t rows(Connection& c)
{
    auto s = c.prepare("SELECT count(*) FROM t");
    REQUIRE(s);
    REQUIRE(s->next("count").value_or(false));
    return s->integer(0);
}

}  // namespace

TEST_CASE("SQLite connection: every commit is synced unless one is relaxed, and only that one", "[sqlite]")
{
    test::TempDir dir;
    auto c = open_with_table(dir);
    REQUIRE(c->in_wal());
    CHECK(synchronous(*c) == 2);

    SECTION("a relaxed transaction that commits")
    {
        {
            RelaxedSync relaxed(*c);
            CHECK(synchronous(*c) == 1);
            WriteTransaction tx(*c);
            REQUIRE(tx.begin());
            REQUIRE(c->exec("INSERT INTO t VALUES (1)"));
            REQUIRE(tx.commit());
        }
        CHECK(synchronous(*c) == 2);
        CHECK(rows(*c) == 1);
    }
    SECTION("a relaxed transaction that fails (rolled back first, then synced again)")
    {
        {
            RelaxedSync relaxed(*c);
            WriteTransaction tx(*c);
            REQUIRE(tx.begin());
            REQUIRE(c->exec("INSERT INTO t VALUES (1)"));
        }
        CHECK(synchronous(*c) == 2);
        CHECK(rows(*c) == 0);
    }
    // SQLite itself refuses the change inside a transaction; the guard spares it the error.
    SECTION("inside an open transaction nothing changes: its outermost commit is synced")
    {
        WriteTransaction outer(*c);
        REQUIRE(outer.begin());
        {
            RelaxedSync relaxed(*c);
            CHECK(synchronous(*c) == 2);
        }
        CHECK(synchronous(*c) == 2);
        REQUIRE(outer.commit());
    }
    SECTION("a connection whose full sync cannot be put back is marked broken (the pool closes it)")
    {
        {
            RelaxedSync relaxed(*c);
            // A transaction left open when the guard ends (as after a failed rollback): SQLite
            // refuses to change the safety level inside it.
            REQUIRE(c->exec("BEGIN"));
        }
        CHECK(c->broken);
        REQUIRE(c->exec("ROLLBACK"));
    }
    SECTION("a connection put back at full sync is not broken")
    {
        {
            RelaxedSync relaxed(*c);
        }
        CHECK_FALSE(c->broken);
    }
    SECTION("outside WAL mode nothing changes (a rollback journal needs every sync)")
    {
        REQUIRE(c->exec("PRAGMA journal_mode=DELETE"));
        REQUIRE_FALSE(c->in_wal());
        RelaxedSync relaxed(*c);
        CHECK(synchronous(*c) == 2);
    }
}
