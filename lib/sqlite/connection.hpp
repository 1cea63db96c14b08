#pragma once
// One SQLite connection: RAII handles, a prepared-statement cache and the single place where
// SQLite return codes become `Error`s. A Connection is used by one thread at a time.

#include "usermgmt/result.hpp"

#include "micros.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace usermgmt::detail::sqlite {

struct CloseDb {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

/// Times are stored as microseconds since the Unix epoch (UTC), in both stores.
using detail::from_micros;
using detail::to_micros;

/// Turns a SQLite result code into an Error: unique violations become `already_exists` (the
/// caller names the field), everything else `storage_failure`.
Error to_error(sqlite3* db, int rc, std::string_view what);

/// A cached statement in use, a movable value; reset and unbound when it goes out of scope.
class Statement {
public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
    Statement& operator=(Statement&&) = delete;
    ~Statement()
    {
        if (!stmt_) return;
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::nullopt_t);
    Statement& bind_blob(int index, std::string_view bytes);
    Statement& bind(int index, const std::optional<std::int64_t>& value);

    /// Steps once: true when a row is ready, false when finished, the error when the step fails.
    /// The one place where a step's row/done/error is told apart.
    Result<bool> next(std::string_view what);
    /// Steps to the first row: `not_found` (with `missing`) when there is none.
    Result<void> one(std::string_view what, std::string_view missing);
    /// Steps to completion; the error when a step fails.
    Result<void> run(std::string_view what);
    /// Ends the statement early (its row values are no longer needed).
    void reset() { sqlite3_reset(stmt_); }

    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    std::string text(int column) const;
    std::string blob(int column) const;
    sqlite3* db() const noexcept { return db_; }

private:
    int step() { return sqlite3_step(stmt_); }

    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

class Connection {
public:
    /// Opens `path` (created if missing) with WAL, foreign keys, full sync and a busy timeout.
    static Result<std::unique_ptr<Connection>> open(const std::string& path, std::chrono::milliseconds busy_timeout);

    /// A prepared statement for `sql`, compiled once per connection.
    Result<Statement> prepare(const std::string& sql);
    /// Runs SQL without parameters (transaction control, pragmas, migrations).
    Result<void> exec(const std::string& sql);
    /// As `exec`, retrying while the file is busy, up to `timeout` (for what runs at open).
    Result<void> exec_when_free(const std::string& sql, std::chrono::milliseconds timeout);
    sqlite3* db() const noexcept { return db_.get(); }
    int changes() const noexcept { return sqlite3_changes(db_.get()); }
    std::int64_t last_insert_id() const noexcept { return sqlite3_last_insert_rowid(db_.get()); }

    /// Transaction nesting depth on this connection (0 outside any transaction).
    int transaction_depth = 0;
    /// Whether the database is in WAL mode (where a commit may skip its own sync: RelaxedSync).
    /// Asked each time (SQLite compiles a pragma again on every run anyway): right even after
    /// someone changed the mode.
    bool in_wal();
    /// Set when the connection's settings could not be put back (RelaxedSync): a pool closes
    /// it instead of lending it again.
    bool broken = false;

private:
    explicit Connection(DbHandle db) : db_(std::move(db)) {}
    DbHandle db_;
    std::unordered_map<std::string, StatementHandle> cache_;
};

/// Starts a write transaction (BEGIN IMMEDIATE); commits in `commit()`, rolls back in the
/// destructor otherwise. Inside an open transaction it is a SAVEPOINT instead: an inner failure
/// rolls back the inner changes only, even when the outer work goes on and commits.
class WriteTransaction {
public:
    explicit WriteTransaction(Connection& connection) : connection_(connection) {}
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    ~WriteTransaction();

    Result<void> begin();
    Result<void> commit();

private:
    Connection& connection_;
    int depth_ = 0;  ///< 1 for the outermost transaction, more for savepoints
    bool open_ = false;
};

/// Lets the transaction begun next on `connection` commit without a sync of its own
/// (`PRAGMA synchronous=NORMAL`), and syncs every commit again when it goes out of scope. For a
/// commit whose loss in a power failure is harmless (a login's record: its session is then
/// unknown, so its tokens are refused and the user logs in again). In WAL mode every synced
/// commit, and every checkpoint, syncs the whole log first, so what is on disk is always a prefix
/// of the commits in their order: a relaxed commit survives any crash of the process, and a
/// power loss or a crash of the machine can undo it only together with the commits after it
/// that no sync has reached yet. Outside WAL mode, and inside an open transaction (whose
/// outermost commit decides), it changes nothing.
class RelaxedSync {
public:
    explicit RelaxedSync(Connection& connection);
    /// Restores full sync; when it cannot (a transaction left open by a failed rollback, the
    /// schema unreadable), marks the connection broken: no later commit may run relaxed on it.
    ~RelaxedSync();
    RelaxedSync(const RelaxedSync&) = delete;
    RelaxedSync& operator=(const RelaxedSync&) = delete;

private:
    Connection& connection_;
    bool relaxed_ = false;
};

}  // namespace usermgmt::detail::sqlite
