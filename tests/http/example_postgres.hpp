#pragma once
// Databases of the test PostgreSQL server as the example programs take them (--database URL).

#include "../support/temp_dir.hpp"
#include "../support/test_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <string>

namespace usermgmt::test {

// The postgresql:// URL the server takes for `database` on the server of a test connection
// string (scripts/postgres.sh writes "host=SOCKETDIR user=ROLE dbname=postgres").
inline std::string postgres_url(const std::string& conninfo, const std::string& database)
{
    std::map<std::string, std::string> parts;
    std::stringstream in(conninfo);
    for (std::string item; in >> item;) {
        const auto eq = item.find('=');
        parts[item.substr(0, eq)] = item.substr(eq + 1);
    }
    return "postgresql:///" + database + "?host=" + parts["host"] + "&user=" + parts["user"];
}

// A fresh database in the test PostgreSQL server, as a postgresql:// URL the server takes.
inline std::string fresh_postgres_database(const TempDir& dir, const std::string& suffix = {})
{
    const std::string conninfo = test_postgres_conninfo();
    std::string name = "nodes_" + dir.path().filename().string() + suffix;
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    });
    PGconn* admin = PQconnectdb(conninfo.c_str());
    REQUIRE(PQstatus(admin) == CONNECTION_OK);
    PGresult* r = PQexec(admin, ("CREATE DATABASE " + name).c_str());
    const bool made = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(admin);
    REQUIRE(made);
    return postgres_url(conninfo, name);
}

}  // namespace usermgmt::test
