#pragma once
// Reads (and, for tests of migrations, changes) a database file behind the store's back, as an
// operator with the sqlite3 shell would.

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace usermgmt::test {

inline std::string query_text(const std::filesystem::path& file, const std::string& sql)
{
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::string value;
    const bool row = sqlite3_step(s) == SQLITE_ROW;
    if (row && sqlite3_column_text(s, 0)) value = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    REQUIRE(row);
    return value;
}

/// Runs SQL on a database file behind the store's back (to make it look as an older version wrote it).
inline void exec_sql(const std::filesystem::path& file, const std::string& sql)
{
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

}  // namespace usermgmt::test
