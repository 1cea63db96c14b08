#pragma once
// Versioned migrations of the SQLite schema.

#include "connection.hpp"

namespace usermgmt::detail::sqlite {

/// The newest schema version this library knows.
int latest_schema_version() noexcept;

/// Applies every migration newer than the database's `user_version`, each in its own
/// transaction. `storage_failure` when the database is newer than this library.
Result<void> migrate(Connection& connection);

}  // namespace usermgmt::detail::sqlite
