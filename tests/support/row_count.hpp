#pragma once
// How many rows a table of a test's database holds, on either backend (see test_store.hpp):
// the SQLite file of the directory, or the directory's schema in the test PostgreSQL server.

#include "sqlite_query.hpp"
#include "test_store.hpp"

#ifdef USERMGMT_WITH_POSTGRES
#include <libpq-fe.h>
#endif

#include <filesystem>
#include <string>

namespace usermgmt::test {

inline long count_rows(const std::filesystem::path& dir, const std::string& table)
{
#ifdef USERMGMT_WITH_POSTGRES
    if (on_postgres()) {
        PGconn* c = PQconnectdb(test_postgres_conninfo().c_str());
        REQUIRE(PQstatus(c) == CONNECTION_OK);
        const std::string sql =
            "SET search_path TO \"" + dir.filename().string() + "\"; SELECT count(*) FROM " + table;
        PGresult* r = PQexec(c, sql.c_str());
        const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        const long n = ok ? std::stol(PQgetvalue(r, 0, 0)) : -1;
        PQclear(r);
        PQfinish(c);
        REQUIRE(ok);
        return n;
    }
#endif
    return std::stol(query_text(dir / "users.db", "SELECT count(*) FROM " + table));
}

}  // namespace usermgmt::test
