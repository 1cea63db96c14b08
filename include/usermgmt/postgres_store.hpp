#pragma once
/// @file postgres_store.hpp
/// The PostgreSQL implementation of `UserStore` and `ThrottleStore`: the way out of one machine.
/// Several nodes (processes on several hosts) share one database; each node's read cache stays
/// right because every commit is announced to every node (LISTEN/NOTIFY).

#include "usermgmt/export.hpp"
#include "usermgmt/result.hpp"
#include "usermgmt/throttle_store.hpp"
#include "usermgmt/user_store.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace usermgmt {

struct USERMGMT_EXPORT PostgresOptions {
    /// Most connections kept open (plus one that listens for changes). A call that finds none
    /// free within `wait_timeout` fails with `storage_failure` (503 over HTTP).
    std::size_t max_connections = 8;
    std::chrono::milliseconds wait_timeout{5000};
    /// The schema the tables live in, created if missing; empty: the connection's search path
    /// (usually `public`). Lets several applications, or test runs, share one database.
    std::string schema;
};

/// Connects to `conninfo` (a libpq connection string or URI, e.g.
/// `postgresql://user@db.example/users` or `host=/run/postgresql dbname=users`) and brings the
/// schema up to date in place (older schemas are upgraded, newer ones refused), under an
/// advisory lock so that nodes starting at once apply each migration once.
///
/// Every write runs in a transaction; the rows a transaction re-reads to change them are locked
/// (`SELECT ... FOR UPDATE`), unique names are unique case-insensitively (indexes on `lower()`),
/// one-time tokens and refresh uses are decided by single atomic statements, so two nodes racing
/// on one name, one token or one refresh token cannot both win.
///
/// `data_version` is fed by LISTEN/NOTIFY on a connection of its own: triggers announce every
/// committed change, and the number moves when an announcement arrives. A look is a round trip
/// on that connection, made by a thread of the store's own; every look that arrives while one is
/// on the wire is answered by the next one (`async_data_version` leaves a callback instead of
/// waiting). When that connection is
/// down (the server restarted, the network broke) the store cannot be sure and says so (an
/// error: nothing is served from a cache) until it is back, and it counts a change on return
/// for what it may have missed. `storage_failure` when the server cannot be reached at open.
[[nodiscard]] USERMGMT_EXPORT Result<std::unique_ptr<UserStore>> open_postgres_store(const std::string& conninfo,
                                                                     PostgresOptions options = {});

/// Throttle counters in the same database (table `throttle_windows`, created by the store's
/// migrations; open the store first, or at least once), so that a limit is one limit across
/// every node. Each hit is one atomic statement.
[[nodiscard]] USERMGMT_EXPORT Result<std::unique_ptr<ThrottleStore>> open_postgres_throttle_store(const std::string& conninfo,
                                                                                  PostgresOptions options = {});

/// The schema version this library writes.
[[nodiscard]] USERMGMT_EXPORT int postgres_schema_version() noexcept;

}  // namespace usermgmt
