#pragma once
// The store a suite runs on: SQLite in the test's directory by default. When
// USERMGMT_TEST_POSTGRES names the file scripts/postgres.sh wrote (ctest sets it for the
// "postgres: " copies of the store, service and HTTP tests), a schema of its own in that real
// PostgreSQL server, named after the directory: one directory, one database, as with SQLite, so
// that two stores opened on one directory share their data on either backend.

#include "usermgmt/sqlite_store.hpp"
#ifdef USERMGMT_WITH_POSTGRES
#include "usermgmt/postgres_store.hpp"
#endif

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace usermgmt::test {

inline bool on_postgres()
{
    return std::getenv("USERMGMT_TEST_POSTGRES") != nullptr;
}

/// The connection string of the test server.
inline std::string test_postgres_conninfo()
{
    const char* file = std::getenv("USERMGMT_TEST_POSTGRES");
    REQUIRE(file);
    std::ifstream in(file);
    std::string conninfo;
    std::getline(in, conninfo);
    REQUIRE_FALSE(conninfo.empty());
    return conninfo;
}

#ifdef USERMGMT_WITH_POSTGRES
/// The PostgreSQL options of the test database of `dir`.
inline PostgresOptions test_postgres_options(const std::filesystem::path& dir, const SqliteOptions& like = {})
{
    PostgresOptions options;
    options.schema = dir.filename().string();
    options.max_connections = like.max_connections;
    options.wait_timeout = like.busy_timeout;
    return options;
}

#endif

inline Result<std::unique_ptr<UserStore>> open_test_store(const std::filesystem::path& dir,
                                                          const SqliteOptions& options = {})
{
#ifdef USERMGMT_WITH_POSTGRES
    if (on_postgres()) return open_postgres_store(test_postgres_conninfo(), test_postgres_options(dir, options));
#endif
    return open_sqlite_store(dir / "users.db", options);
}

}  // namespace usermgmt::test
