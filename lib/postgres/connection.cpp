#include "connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace usermgmt::detail::postgres {
namespace {

// The error of a failed result, and what it means to the service: a unique violation is
// `already_exists` (the caller names the field); anything else is a storage failure.
Error result_error(PGconn* conn, const PGresult* result, std::string_view what)
{
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = std::string(what) + ": ";
    message += result ? PQresultErrorMessage(result) : PQerrorMessage(conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (state && std::strcmp(state, "23505") == 0) return fail(Errc::already_exists, std::move(message));
    return fail(Errc::storage_failure, std::move(message));
}

// libpq's message with the connection string's password blanked out: a malformed string may be
// quoted back in the message.
std::string without_password(std::string message, const std::string& conninfo)
{
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (error) PQfreemem(error);
    std::string password;
    for (auto* o = options; o && o->keyword; ++o)
        if (std::strcmp(o->keyword, "password") == 0 && o->val) password = o->val;
    if (options) PQconninfoFree(options);
    if (password.empty()) {
        // Unparseable: blank whatever stands between "://user:" and "@", the usual place.
        const auto scheme = conninfo.find("://");
        const auto at = conninfo.find('@');
        if (scheme != std::string::npos && at != std::string::npos) {
            const auto colon = conninfo.find(':', scheme + 3);
            if (colon != std::string::npos && colon < at) password = conninfo.substr(colon + 1, at - colon - 1);
        }
    }
    if (password.empty()) return message;
    for (auto at = message.find(password); at != std::string::npos; at = message.find(password, at))
        message.replace(at, password.size(), "***");
    return message;
}

bool succeeded(const PGresult* result)
{
    const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

}  // namespace

Params& Params::text(std::string_view value)
{
    values_.emplace_back(std::string(value));
    lengths_.push_back(static_cast<int>(value.size()));
    formats_.push_back(0);
    return *this;
}

Params& Params::integer(std::int64_t value)
{
    return text(std::to_string(value));
}

Params& Params::bytes(std::string_view value)
{
    values_.emplace_back(std::string(value));
    lengths_.push_back(static_cast<int>(value.size()));
    formats_.push_back(1);
    return *this;
}

Params& Params::null()
{
    values_.emplace_back(std::nullopt);
    lengths_.push_back(0);
    formats_.push_back(0);
    return *this;
}

std::vector<const char*> Params::pointers() const
{
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& v : values_) out.push_back(v ? v->data() : nullptr);
    return out;
}

std::string Rows::text(int row, int column) const
{
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Rows::integer(int row, int column) const
{
    const char* value = PQgetvalue(result_.get(), row, column);
    std::int64_t out = 0;
    std::from_chars(value, value + std::strlen(value), out);
    return out;
}

bool Rows::boolean(int row, int column) const
{
    return PQgetvalue(result_.get(), row, column)[0] == 't';
}

std::int64_t Rows::affected() const
{
    const char* tuples = PQcmdTuples(result_.get());
    std::int64_t out = 0;
    std::from_chars(tuples, tuples + std::strlen(tuples), out);
    return out;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo, const std::string& schema)
{
    // Defaults first, the caller's connection string after them (it may override any): a
    // server that stops answering (a network partition) fails a call within about half a
    // minute (TCP keepalives, unacknowledged data) instead of TCP's quarter of an hour.
    const char* keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                          "tcp_user_timeout", "dbname", nullptr};
    const char* values[] = {"5", "1", "10", "5", "3", "15000", conninfo.c_str(), nullptr};
    PGconn* raw = PQconnectdbParams(keys, values, 1);
    std::unique_ptr<Connection> connection(new Connection(raw));
    if (!raw || PQstatus(raw) != CONNECTION_OK) {
        std::string message = raw ? PQerrorMessage(raw) : "out of memory";
        while (!message.empty() && message.back() == '\n') message.pop_back();
        return fail(Errc::storage_failure, "cannot connect to PostgreSQL: " + without_password(message, conninfo));
    }
    // Server notices (NOTICE: ... already exists, skipping) are not for the service's log.
    PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
    // Times are integers and texts UTF-8 whatever the server's defaults are.
    if (auto ok = connection->exec("SET client_encoding = 'UTF8'", "set encoding"); !ok) return std::move(ok).error();
    if (!schema.empty()) {
        if (auto ok = connection->exec("SET search_path TO " + quote_identifier(schema), "set search_path"); !ok)
            return std::move(ok).error();
    }
    return connection;
}

Result<Rows> Connection::run(const std::string& sql, const Params& params, std::string_view what)
{
    auto found = prepared_.find(sql);
    if (found == prepared_.end()) {
        std::string name = "s" + std::to_string(prepared_.size());
        std::unique_ptr<PGresult, ClearResult> made(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr));
        if (!succeeded(made.get())) return result_error(conn_.get(), made.get(), what);
        found = prepared_.emplace(sql, std::move(name)).first;
    }
    const auto values = params.pointers();
    PGresult* result = PQexecPrepared(conn_.get(), found->second.c_str(), params.size(), values.data(),
                                      params.lengths().data(), params.formats().data(), 0);
    if (!succeeded(result)) {
        Error e = result_error(conn_.get(), result, what);
        PQclear(result);
        return e;
    }
    return Rows(result);
}

Result<void> Connection::exec(const std::string& sql, std::string_view what)
{
    std::unique_ptr<PGresult, ClearResult> result(PQexec(conn_.get(), sql.c_str()));
    if (!succeeded(result.get())) return result_error(conn_.get(), result.get(), what);
    return {};
}

Result<void> Connection::exec_within(const std::string& sql, std::chrono::milliseconds timeout, std::string_view what)
{
    PGconn* conn = conn_.get();
    const auto broke = [&] { return fail(Errc::storage_failure, std::string(what) + ": the connection broke"); };
    if (PQsendQuery(conn, sql.c_str()) == 0) return broke();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (PQconsumeInput(conn) == 0) return broke();
        if (PQisBusy(conn) == 0) break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return fail(Errc::storage_failure, std::string(what) + ": the database did not answer in time");
        pollfd readable{PQsocket(conn), POLLIN, 0};
        if (poll(&readable, 1, static_cast<int>(std::min<std::int64_t>(left.count() + 1, 60'000))) < 0 && errno != EINTR)
            return broke();
    }
    // Every result of the statements, so that the connection is ready for the next.
    Result<void> outcome = {};
    while (PGresult* raw = PQgetResult(conn)) {
        std::unique_ptr<PGresult, ClearResult> result(raw);
        if (outcome && !succeeded(result.get())) outcome = result_error(conn, result.get(), what);
    }
    return outcome;
}

std::string quote_identifier(std::string_view name)
{
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace usermgmt::detail::postgres
