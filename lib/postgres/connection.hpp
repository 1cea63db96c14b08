#pragma once
// One PostgreSQL connection over libpq: RAII handles, statements prepared once per connection,
// parameters as text (or binary for bytes), and the single place where libpq's results become
// `Error`s. A Connection is used by one thread at a time.

#include "usermgmt/result.hpp"

#include "micros.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace usermgmt::detail::postgres {

struct ClearResult {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
struct FinishConnection {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

/// Times are stored as microseconds since the Unix epoch (UTC), in both stores.
using detail::from_micros;
using detail::to_micros;

/// Statement parameters: text values (or NULL), and raw bytes sent in binary (bytea).
class Params {
public:
    Params& text(std::string_view value);
    Params& integer(std::int64_t value);
    Params& boolean(bool value) { return text(value ? "t" : "f"); }
    Params& bytes(std::string_view value);
    Params& null();
    /// `value` when engaged, else NULL.
    template <class T>
    Params& optional(const std::optional<T>& value)
    {
        if (!value) return null();
        if constexpr (std::is_same_v<T, std::string>) return text(*value);
        else return integer(static_cast<std::int64_t>(*value));
    }

    [[nodiscard]] int size() const noexcept { return static_cast<int>(values_.size()); }
    [[nodiscard]] std::vector<const char*> pointers() const;
    [[nodiscard]] const std::vector<int>& lengths() const noexcept { return lengths_; }
    [[nodiscard]] const std::vector<int>& formats() const noexcept { return formats_; }

private:
    std::vector<std::optional<std::string>> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
};

/// The rows of a statement that succeeded.
class Rows {
public:
    explicit Rows(PGresult* result) : result_(result) {}
    [[nodiscard]] int size() const noexcept { return PQntuples(result_.get()); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] bool is_null(int row, int column) const noexcept { return PQgetisnull(result_.get(), row, column) != 0; }
    [[nodiscard]] std::string text(int row, int column) const;
    [[nodiscard]] std::int64_t integer(int row, int column) const;
    [[nodiscard]] bool boolean(int row, int column) const;
    /// Rows changed by an INSERT, UPDATE or DELETE.
    [[nodiscard]] std::int64_t affected() const;

private:
    std::unique_ptr<PGresult, ClearResult> result_;
};

class Connection {
public:
    /// Connects with `conninfo` (a libpq connection string or URI); `schema`, when not empty,
    /// is created if missing and put first on the search path.
    static Result<std::unique_ptr<Connection>> open(const std::string& conninfo, const std::string& schema);

    /// Runs `sql` (prepared once on this connection) with `params`. Errors: `already_exists`
    /// for a unique violation (23505), `storage_failure` for everything else.
    Result<Rows> run(const std::string& sql, const Params& params = {}, std::string_view what = "statement");
    /// Runs one or more statements without parameters (migrations, BEGIN, SAVEPOINT).
    Result<void> exec(const std::string& sql, std::string_view what = "statement");
    /// As `exec`, waiting at most `timeout` for the answer (a frozen server is a
    /// `storage_failure`, not a hang). The connection is unusable after a timeout: drop it.
    Result<void> exec_within(const std::string& sql, std::chrono::milliseconds timeout,
                             std::string_view what = "statement");

    /// False once the server is gone or the connection broke: the pool drops it.
    [[nodiscard]] bool usable() const noexcept { return PQstatus(conn_.get()) == CONNECTION_OK; }
    /// The raw handle, for LISTEN/NOTIFY.
    [[nodiscard]] PGconn* handle() const noexcept { return conn_.get(); }

private:
    explicit Connection(PGconn* conn) : conn_(conn) {}
    std::unique_ptr<PGconn, FinishConnection> conn_;
    std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

/// Quotes an identifier for SQL ("name" with inner quotes doubled).
std::string quote_identifier(std::string_view name);

}  // namespace usermgmt::detail::postgres
