// The throttling port: the in-memory store and the SQLite store behave alike, and the SQLite
// store shares its counts between every store (and so every process) that opens the file.
#include "usermgmt/throttle_store.hpp"
#include "usermgmt/usermgmt.hpp"

#include "../support/sqlite_query.hpp"
#include "../support/temp_dir.hpp"
#include "throttle_checks.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace usermgmt;

using namespace usermgmt::test;


TEST_CASE("Throttle store in memory: fixed windows per key", "[throttle]")
{
    auto store = make_memory_throttle_store();
    check_fixed_windows(*store);
}

TEST_CASE("Throttle store in SQLite: fixed windows per key", "[throttle][sqlite]")
{
    test::TempDir dir;
    auto store = open_sqlite_throttle_store(dir / "throttle.db");
    REQUIRE(store);
    check_fixed_windows(**store);
}

TEST_CASE("Throttle store in SQLite: stores on one file share the counts - exactly the limit is allowed under contention",
          "[throttle][sqlite][concurrency]")
{
    test::TempDir dir;
    auto a = open_sqlite_throttle_store(dir / "throttle.db");
    auto b = open_sqlite_throttle_store(dir / "throttle.db");  // as another node on this host would
    REQUIRE(a);
    REQUIRE(b);
    const RateLimit limit{25, std::chrono::seconds(60)};
    check_one_limit_under_contention(**a, **b, limit);
    // The counts outlive the store: a store opened later sees them.
    auto c = open_sqlite_throttle_store(dir / "throttle.db");
    REQUIRE(c);
    CHECK(hit(**c, "login|account|amy", limit, t0 + std::chrono::seconds(1)) == 59);
}

TEST_CASE("Throttle store in SQLite: ended windows are swept - so the file holds only live keys", "[throttle][sqlite]")
{
    test::TempDir dir;
    auto store = open_sqlite_throttle_store(dir / "throttle.db");
    REQUIRE(store);
    const RateLimit one_second{5, std::chrono::seconds(1)};
    // 999 keys whose windows end a second later; the 1000th attempt, later, sweeps them.
    for (int i = 0; i < 999; ++i) REQUIRE(hit(**store, "k" + std::to_string(i), one_second, t0) == 0);
    REQUIRE(hit(**store, "late", one_second, t0 + std::chrono::seconds(2)) == 0);
    CHECK(test::query_text(dir / "throttle.db", "SELECT group_concat(key) FROM throttle_windows") == "late");
}

TEST_CASE("Throttle store in SQLite: a file that cannot be opened is a storage failure", "[throttle][sqlite]")
{
    test::TempDir dir;
    auto store = open_sqlite_throttle_store(dir / "missing-dir" / "throttle.db");
    REQUIRE_FALSE(store);
    CHECK(store.error().code == Errc::storage_failure);
}

TEST_CASE("Throttling through a shared store holds across services - as across nodes", "[throttle][service]")
{
    test::TempDir dir;
    const auto make = [&](const std::string& name) {
        Config config;
        config.jwt_secret = "throttle-test-secret-throttle-test-secret-0123";
        config.argon2 = Argon2Params::cheapest_for_tests();
        config.throttle.login_per_account = RateLimit{4, std::chrono::seconds(60)};
        Ports ports;
        auto store = open_sqlite_store(dir / (name + ".db"));
        REQUIRE(store);
        ports.store = std::move(*store);
        auto throttle = open_sqlite_throttle_store(dir / "throttle.db");
        REQUIRE(throttle);
        ports.throttle = std::move(*throttle);
        auto service = UserService::create(std::move(config), std::move(ports));
        REQUIRE(service);
        return std::move(*service);
    };
    auto node1 = make("node1");
    auto node2 = make("node2");
    using Attempt = UserService::Attempt;
    REQUIRE(node1->throttle(Attempt::login, "10.0.0.1", "amy"));
    REQUIRE(node2->throttle(Attempt::login, "10.0.0.2", "amy"));
    REQUIRE(node1->throttle(Attempt::login, "10.0.0.3", "Amy"));
    REQUIRE(node2->throttle(Attempt::login, "10.0.0.4", "AMY"));
    // The fifth attempt on the account is refused, whichever node gets it.
    auto refused = node1->throttle(Attempt::login, "10.0.0.5", "amy");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::rate_limited);
    CHECK(refused.error().retry_after_seconds > 0);
    CHECK_FALSE(node2->throttle(Attempt::login, "10.0.0.6", "amy"));
    // Another account is not affected.
    CHECK(node2->throttle(Attempt::login, "10.0.0.6", "ben"));
}

TEST_CASE("The memory throttle store is bounded: a flood of keys evicts the oldest - long keys are refused", "[throttle]")
{
    auto store = make_memory_throttle_store(160);
    const TimePoint now{std::chrono::seconds(1'700'000'000)};
    const RateLimit one{1, std::chrono::seconds(3600)};
    REQUIRE(*store->hit("victim", one, now) == 0);
    CHECK(*store->hit("victim", one, now) > 0);
    // A key still being hit stays while a flood of others passes through its shard ...
    for (int i = 0; i < 5000; ++i) {
        REQUIRE(store->hit("flood-" + std::to_string(i), one, now));
        if (i % 4 == 0) REQUIRE(*store->hit("victim", one, now) > 0);
    }
    // ... while one left alone is forgotten after enough distinct keys (memory does not grow).
    for (int i = 0; i < 5000; ++i) REQUIRE(store->hit("more-" + std::to_string(i), one, now));
    CHECK(*store->hit("victim", one, now) == 0);

    auto too_long = store->hit(std::string(129, 'k'), one, now);
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().code == Errc::invalid_argument);
}

TEST_CASE("Throttle stores forget ended windows on purge", "[throttle]")
{
    test::TempDir dir;
    auto shared = open_sqlite_throttle_store(dir / "throttle.db");
    REQUIRE(shared);
    const TimePoint now{std::chrono::seconds(1'700'000'000)};
    const RateLimit limit{5, std::chrono::seconds(60)};
    for (int i = 0; i < 10; ++i) REQUIRE((*shared)->hit("k" + std::to_string(i), limit, now));
    REQUIRE((*shared)->hit("late", limit, now + std::chrono::seconds(50)));
    CHECK(test::query_text(dir / "throttle.db", "SELECT count(*) FROM throttle_windows") == "11");
    REQUIRE((*shared)->purge(now + std::chrono::seconds(61)));
    CHECK(test::query_text(dir / "throttle.db", "SELECT count(*) FROM throttle_windows") == "1");

    auto memory = make_memory_throttle_store();
    REQUIRE(memory->hit("m", RateLimit{1, std::chrono::seconds(60)}, now));
    REQUIRE(memory->purge(now + std::chrono::seconds(61)));
    CHECK(*memory->hit("m", RateLimit{1, std::chrono::seconds(60)}, now + std::chrono::seconds(62)) == 0);
}

TEST_CASE("Many processes opening one new file at once all succeed", "[throttle][sqlite][concurrency]")
{
    // Threads with connections of their own stand for processes starting together.
    for (int round = 0; round < 5; ++round) {
        test::TempDir dir;
        constexpr int openers = 6;
        std::atomic<int> ready{0};
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < openers; ++i) {
            threads.emplace_back([&, i] {
                ++ready;
                while (ready < openers) std::this_thread::yield();
                if (i % 2 == 0) {
                    if (!open_sqlite_throttle_store(dir / "throttle.db")) ++failures;
                } else if (!open_sqlite_store(dir / "users.db")) {
                    ++failures;
                }
            });
        }
        for (auto& t : threads) t.join();
        CHECK(failures == 0);
    }
}
