// Throttle windows in PostgreSQL: one limit across every node that shares the database.
#include "usermgmt/postgres_store.hpp"

#include "connection.hpp"
#include "connection_pool.hpp"


namespace usermgmt {
namespace {

using detail::postgres::Connection;
using detail::postgres::from_micros;
using detail::postgres::Params;
using detail::postgres::to_micros;

class PostgresThrottleStore final : public ThrottleStore {
public:
    PostgresThrottleStore(const std::string& conninfo, const PostgresOptions& options)
        : pool_(conninfo, options.schema, options.max_connections, options.wait_timeout)
    {
    }

    Result<long long> hit(std::string_view key, const RateLimit& limit, TimePoint now) override
    {
        if (limit.requests == 0) return 0LL;
        return pool_.with([&](Connection& c) -> Result<long long> {
            // One statement decides, atomically: a new or ended window starts over at one
            // attempt; an open one counts while under the limit. When the limit is reached the
            // WHERE refuses the update and no row comes back: refused, and not counted.
            const auto at = to_micros(now);
            auto counted = c.run(
                "INSERT INTO throttle_windows (key, ends_at, attempts) VALUES ($1, $2::bigint + $3::bigint, 1) "
                "ON CONFLICT (key) DO UPDATE SET "
                "attempts = CASE WHEN throttle_windows.ends_at <= $2::bigint THEN 1 "
                "ELSE throttle_windows.attempts + 1 END, "
                "ends_at = CASE WHEN throttle_windows.ends_at <= $2::bigint THEN $2::bigint + $3::bigint "
                "ELSE throttle_windows.ends_at END "
                "WHERE throttle_windows.ends_at <= $2::bigint OR throttle_windows.attempts < $4::bigint "
                "RETURNING attempts",
                Params().text(key).integer(at).integer(to_micros(TimePoint(limit.per))).integer(limit.requests),
                "count throttle attempt");
            if (!counted) return std::move(counted).error();
            if (!counted->empty()) return 0LL;
            auto window = c.run("SELECT ends_at FROM throttle_windows WHERE key = $1", Params().text(key),
                                "read throttle window");
            if (!window) return std::move(window).error();
            if (window->empty()) return 1LL;  // swept meanwhile: try again in a second
            const auto left = std::chrono::ceil<std::chrono::seconds>(from_micros(window->integer(0, 0)) - now).count();
            return left > 0 ? static_cast<long long>(left) : 1LL;
        });
    }

    Result<void> purge(TimePoint now) override
    {
        return pool_.with([&](Connection& c) -> Result<void> {
            auto done = c.run("DELETE FROM throttle_windows WHERE ends_at <= $1", Params().integer(to_micros(now)),
                              "sweep throttle windows");
            if (!done) return std::move(done).error();
            return {};
        });
    }

private:
    // A pool of its own (bounded like the store's): a hit is one statement, so a connection is
    // lent for microseconds, and counting never waits behind the store's long transactions.
    detail::postgres::ConnectionPool pool_;
};

}  // namespace

Result<std::unique_ptr<ThrottleStore>> open_postgres_throttle_store(const std::string& conninfo, PostgresOptions options)
{
    // Connecting once now reports an unreachable server at start-up rather than at the first hit.
    auto probe = Connection::open(conninfo, options.schema);
    if (!probe) return std::move(probe).error();
    auto table = (*probe)->run("SELECT 1 FROM throttle_windows LIMIT 1", {}, "find throttle table");
    if (!table) return fail(Errc::storage_failure, "no throttle_windows table: open the PostgreSQL user store first");
    return std::unique_ptr<ThrottleStore>(std::make_unique<PostgresThrottleStore>(conninfo, std::move(options)));
}

}  // namespace usermgmt
