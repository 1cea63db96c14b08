#include "connection.hpp"

#include <thread>

namespace usermgmt::detail::sqlite {

Error to_error(sqlite3* db, int rc, std::string_view what)
{
    const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    // Which value clashed is for the caller to say (it knows the row): no error text is parsed.
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return fail(Errc::already_exists, std::string(what) + ": " + detail);
    return fail(Errc::storage_failure, std::string(what) + ": " + detail + " (" + sqlite3_errstr(rc) + ")");
}

Statement& Statement::bind(int index, std::int64_t value)
{
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text)
{
    // A default string_view has no data pointer, which SQLite would bind as NULL: "" is empty text.
    sqlite3_bind_text(stmt_, index, text.data() ? text.data() : "", static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, std::nullopt_t)
{
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value)
{
    return value ? bind(index, *value) : bind(index, std::nullopt);
}

Statement& Statement::bind_blob(int index, std::string_view bytes)
{
    sqlite3_bind_blob(stmt_, index, bytes.data() ? bytes.data() : "", static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    return *this;
}

Result<bool> Statement::next(std::string_view what)
{
    const int rc = step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return to_error(db_, rc, what);
}

Result<void> Statement::one(std::string_view what, std::string_view missing)
{
    auto row = next(what);
    if (!row) return std::move(row).error();
    if (!*row) return fail(Errc::not_found, std::string(missing));
    return {};
}

Result<void> Statement::run(std::string_view what)
{
    while (true) {
        auto row = next(what);
        if (!row) return std::move(row).error();
        if (!*row) return {};
    }
}

std::string Statement::text(int column) const
{
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

std::string Statement::blob(int column) const
{
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, std::chrono::milliseconds busy_timeout)
{
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    DbHandle db(raw);
    if (rc != SQLITE_OK) return to_error(raw, rc, "open " + path);
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, static_cast<int>(busy_timeout.count()));
    std::unique_ptr<Connection> connection(new Connection(std::move(db)));
    // WAL lets readers run beside the writer; FULL sync makes a commit survive power loss, so a
    // success the service reported is on disk; foreign keys are off by default in SQLite.
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
        if (auto ok = connection->exec_when_free(pragma, busy_timeout); !ok) return std::move(ok).error();
    }
    return connection;
}

Result<Statement> Connection::prepare(const std::string& sql)
{
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        sqlite3_stmt* raw = nullptr;
        const int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
        if (rc != SQLITE_OK) return to_error(db_.get(), rc, "prepare");
        it = cache_.emplace(sql, StatementHandle(raw)).first;
    }
    return Statement(db_.get(), it->second.get());
}

Result<void> Connection::exec_when_free(const std::string& sql, std::chrono::milliseconds timeout)
{
    // Two processes opening a new file at once: switching it to WAL (or creating a table) can
    // answer SQLITE_BUSY without SQLite's busy handler being asked, so wait here, bounded.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        char* message = nullptr;
        const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
        sqlite3_free(message);
        if (rc == SQLITE_OK) return {};
        if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline)
            return to_error(db_.get(), rc, "exec");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

Result<void> Connection::exec(const std::string& sql)
{
    char* message = nullptr;
    const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);
    if (rc != SQLITE_OK) return to_error(db_.get(), rc, "exec");
    return {};
}

Result<void> WriteTransaction::begin()
{
    depth_ = connection_.transaction_depth + 1;
    // IMMEDIATE takes the write lock now, so two writers queue on busy_timeout instead of
    // deadlocking when both try to upgrade a read transaction.
    const std::string sql = depth_ == 1 ? "BEGIN IMMEDIATE" : "SAVEPOINT nested_" + std::to_string(depth_);
    if (auto ok = connection_.exec(sql); !ok) return ok;
    connection_.transaction_depth = depth_;
    open_ = true;
    return {};
}

Result<void> WriteTransaction::commit()
{
    if (!open_) return fail(Errc::internal, "commit without begin");
    const std::string sql = depth_ == 1 ? "COMMIT" : "RELEASE nested_" + std::to_string(depth_);
    if (auto ok = connection_.exec(sql); !ok) return ok;
    connection_.transaction_depth = depth_ - 1;
    open_ = false;
    return {};
}

bool Connection::in_wal()
{
    auto mode = prepare("PRAGMA journal_mode");
    return mode && mode->next("journal mode").value_or(false) && mode->text(0) == "wal";
}

RelaxedSync::RelaxedSync(Connection& connection) : connection_(connection)
{
    if (connection_.transaction_depth != 0 || !connection_.in_wal()) return;
    auto normal = connection_.prepare("PRAGMA synchronous=NORMAL");
    relaxed_ = normal && normal->run("relax sync");
}

RelaxedSync::~RelaxedSync()
{
    if (!relaxed_) return;
    auto full = connection_.prepare("PRAGMA synchronous=FULL");
    const bool restored = full && full->run("restore sync") && sqlite3_get_autocommit(connection_.db()) != 0;
    if (!restored) connection_.broken = true;
}

WriteTransaction::~WriteTransaction()
{
    if (!open_) return;
    connection_.transaction_depth = depth_ - 1;
    // Never throws: a failed rollback leaves SQLite to roll back when the connection closes.
    if (depth_ == 1) {
        (void)connection_.exec("ROLLBACK");
    } else {
        const std::string name = "nested_" + std::to_string(depth_);
        (void)connection_.exec("ROLLBACK TO " + name);
        (void)connection_.exec("RELEASE " + name);
    }
}

}  // namespace usermgmt::detail::sqlite
