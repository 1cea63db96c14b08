#include "table_source.hpp"

#include <sqlite3.h>
#ifdef USERMGMT_WITH_POSTGRES
#include <libpq-fe.h>
#endif

namespace usermgmt::admin {
namespace {

class SqliteSource final : public TableSource {
public:
    explicit SqliteSource(sqlite3* db) : db_(db) {}
    ~SqliteSource() override { sqlite3_close(db_); }

    Result<std::vector<std::string>> columns(const std::string& table) override
    {
        std::vector<std::string> names;
        auto ok = rows("PRAGMA table_info(" + sql_name(table) + ")", [&](const Row& row) -> Result<void> {
            if (row.size() > 1 && row[1]) names.push_back(*row[1]);
            return {};
        });
        if (!ok) return std::move(ok).error();
        return names;
    }

    Result<void> rows(const std::string& sql, const std::function<Result<void>(const Row&)>& each) override
    {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) return failure();
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(statement, &sqlite3_finalize);
        Row row;
        for (;;) {
            const int step = sqlite3_step(statement);
            if (step == SQLITE_DONE) return {};
            if (step != SQLITE_ROW) return failure();
            const int n = sqlite3_column_count(statement);
            row.assign(static_cast<std::size_t>(n), std::nullopt);
            for (int i = 0; i < n; ++i) {
                if (sqlite3_column_type(statement, i) == SQLITE_NULL) continue;
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
                row[static_cast<std::size_t>(i)] = std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(statement, i)));
            }
            if (auto ok = each(row); !ok) return ok;
        }
    }

    std::string utc_text(const std::string& column) const override { return sql_name(column); }

private:
    Error failure() const { return fail(Errc::storage_failure, std::string("the Django database: ") + sqlite3_errmsg(db_)); }
    sqlite3* db_;
};

#ifdef USERMGMT_WITH_POSTGRES
class PostgresSource final : public TableSource {
public:
    explicit PostgresSource(PGconn* connection) : connection_(connection) {}
    ~PostgresSource() override { PQfinish(connection_); }

    Result<std::vector<std::string>> columns(const std::string& table) override
    {
        const char* values[] = {table.c_str()};
        std::unique_ptr<PGresult, void (*)(PGresult*)> result(
            PQexecParams(connection_,
                         "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                         "AND table_name = $1 ORDER BY ordinal_position",
                         1, nullptr, values, nullptr, nullptr, 0),
            &PQclear);
        if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return failure();
        std::vector<std::string> names;
        for (int i = 0; i < PQntuples(result.get()); ++i) names.emplace_back(PQgetvalue(result.get(), i, 0));
        return names;
    }

    Result<void> rows(const std::string& sql, const std::function<Result<void>(const Row&)>& each) override
    {
        if (!PQsendQuery(connection_, sql.c_str()) || !PQsetSingleRowMode(connection_)) return failure();
        Result<void> outcome;
        Row row;
        // Every result is read, also after a failure, so the connection is left idle.
        while (PGresult* raw = PQgetResult(connection_)) {
            std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, &PQclear);
            const auto status = PQresultStatus(raw);
            if (status == PGRES_TUPLES_OK) continue;  // the end of the rows
            if (status != PGRES_SINGLE_TUPLE) {
                if (outcome) outcome = failure();
                continue;
            }
            if (!outcome) continue;
            row.assign(static_cast<std::size_t>(PQnfields(raw)), std::nullopt);
            for (int i = 0; i < PQnfields(raw); ++i)
                if (!PQgetisnull(raw, 0, i)) row[static_cast<std::size_t>(i)] = std::string(PQgetvalue(raw, 0, i));
            outcome = each(row);
        }
        return outcome;
    }

    std::string utc_text(const std::string& column) const override
    {
        return "to_char(" + sql_name(column) + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
    }

private:
    // libpq's message, which names no password (the URL's is never in it).
    Error failure() const
    {
        return fail(Errc::storage_failure, std::string("the Django database: ") + PQerrorMessage(connection_));
    }
    PGconn* connection_;
};
#endif

bool starts_with(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

}  // namespace

std::string sql_name(const std::string& name)
{
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

Result<std::unique_ptr<TableSource>> open_table_source(const std::string& where)
{
    if (starts_with(where, "postgresql://") || starts_with(where, "postgres://")) {
#ifdef USERMGMT_WITH_POSTGRES
        PGconn* connection = PQconnectdb(where.c_str());
        if (PQstatus(connection) != CONNECTION_OK) {
            Error e = fail(Errc::storage_failure, std::string("cannot reach the Django database: ") + PQerrorMessage(connection));
            PQfinish(connection);
            return e;
        }
        // Read only, whatever the role may do.
        PQclear(PQexec(connection, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"));
        return std::unique_ptr<TableSource>(std::make_unique<PostgresSource>(connection));
#else
        return fail(Errc::bad_config, "this usermgmt-admin was built without PostgreSQL");
#endif
    }
    const std::string path = starts_with(where, "sqlite:") ? where.substr(7) : where;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        Error e = fail(Errc::bad_config, "cannot open the Django database " + path + ": " + sqlite3_errmsg(db));
        sqlite3_close(db);
        return e;
    }
    return std::unique_ptr<TableSource>(std::make_unique<SqliteSource>(db));
}

}  // namespace usermgmt::admin
