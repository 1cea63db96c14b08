#pragma once
// The PostgreSQL schema and its versioned migrations, applied at open.

#include "connection.hpp"

namespace usermgmt::detail::postgres {

/// The channel every committed change is announced on (by triggers), for the nodes' caches.
inline constexpr const char* change_channel = "usermgmt_changes";

/// Creates `schema` when it is not empty and missing (once, at open: connections only set the
/// search path, so a role without CREATE on the database can work in an existing schema).
Result<void> create_schema(const std::string& conninfo, const std::string& schema);

/// The schema version this library writes.
int latest_schema_version() noexcept;

/// Brings the schema up to date under an advisory lock (nodes opening at once apply each
/// migration once); `storage_failure` when the database's schema is newer than this library's.
Result<void> migrate(Connection& connection);

}  // namespace usermgmt::detail::postgres
