#include "schema.hpp"

#include "usermgmt/sqlite_store.hpp"

#include <array>

namespace usermgmt::detail::sqlite {
namespace {

// Migration N brings the schema from version N-1 to N. Never edit a released migration: add one.
// Times are microseconds since the Unix epoch (UTC). Usernames, emails and group names compare
// case-insensitively (ASCII, NOCASE), so the UNIQUE constraints catch "Bob" vs "bob".
constexpr std::array<const char*, 6> migrations = {
    R"sql(
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    birthdate TEXT,
    avatar TEXT NOT NULL DEFAULT '',
    avatar_is_media INTEGER NOT NULL DEFAULT 0,
    is_active INTEGER NOT NULL,
    is_staff INTEGER NOT NULL DEFAULT 0,
    is_superuser INTEGER NOT NULL DEFAULT 0,
    date_joined INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_login INTEGER
);
CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE user_groups (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX user_groups_by_group ON user_groups(group_id);
CREATE TABLE one_time_tokens (
    digest BLOB PRIMARY KEY,
    purpose INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) WITHOUT ROWID;
CREATE INDEX one_time_tokens_by_user ON one_time_tokens(user_id, purpose);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
-- The user count, kept by triggers, so an unfiltered list does not count the table.
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters VALUES ('users', 0);
CREATE TRIGGER users_count_insert AFTER INSERT ON users
    BEGIN UPDATE counters SET value = value + 1 WHERE name = 'users'; END;
CREATE TRIGGER users_count_delete AFTER DELETE ON users
    BEGIN UPDATE counters SET value = value - 1 WHERE name = 'users'; END;
)sql",
    // 2: a narrow index of the ids alone. Finding the id at a list offset walks it instead of
    // the table's full rows: 5 ms instead of 30 ms at offset 500,000 (bench/run.sh, scenario 3).
    R"sql(
CREATE INDEX users_by_id ON users(id);
)sql",
    // 3: used refresh tokens (digests), per session, for rotation with reuse detection.
    R"sql(
CREATE TABLE refresh_uses (
    digest BLOB PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    used_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX refresh_uses_by_session ON refresh_uses(session_id);
)sql",
    // 4: how many users each block of 1024 ids holds, kept by triggers in the same transaction
    // as the change. The user at list offset N is found by summing block counts (a thousand
    // small rows at 1M users) and then walking at most 1024 ids, instead of N ids.
    R"sql(
CREATE TABLE user_id_blocks (block INTEGER PRIMARY KEY, users INTEGER NOT NULL);
INSERT INTO user_id_blocks SELECT id >> 10, count(*) FROM users GROUP BY id >> 10;
CREATE TRIGGER users_block_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_id_blocks VALUES (new.id >> 10, 1) ON CONFLICT (block) DO UPDATE SET users = users + 1;
END;
CREATE TRIGGER users_block_delete AFTER DELETE ON users BEGIN
    UPDATE user_id_blocks SET users = users - 1 WHERE block = old.id >> 10;
    DELETE FROM user_id_blocks WHERE block = old.id >> 10 AND users = 0;
END;
)sql",
    // 5: account states. `activated_at` is null while an account was never activated (such
    // accounts are purged after a while); `disabled` marks a deactivation by staff, which only
    // staff can lift. Existing rows: active ones, and inactive ones that once logged in, count
    // as activated. An inactive row without an unused activation link was deactivated by staff
    // (the old code deleted the links then; a pending account always has one): disabled.
    R"sql(
ALTER TABLE users ADD COLUMN activated_at INTEGER;
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
UPDATE users SET disabled = 1 WHERE is_active = 0 AND NOT EXISTS
    (SELECT 1 FROM one_time_tokens t WHERE t.user_id = users.id AND t.purpose = 1 AND t.used_at IS NULL);
UPDATE users SET activated_at = coalesce(last_login, date_joined)
    WHERE is_active = 1 OR last_login IS NOT NULL OR disabled = 1;
CREATE INDEX users_never_activated ON users(date_joined) WHERE activated_at IS NULL;
)sql",
    // 6: the mail queue. A mail goes with its user (it is addressed to them, and its token dies
    // with them anyway). state 0 = queued, 1 = dead.
    R"sql(
CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY,
    state INTEGER NOT NULL DEFAULT 0,
    kind INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    leased_until INTEGER,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_queue_due ON mail_queue(state, next_attempt_at);
CREATE INDEX mail_queue_by_user ON mail_queue(user_id);
)sql",
};

Result<int> current_version(Connection& connection)
{
    auto stmt = connection.prepare("PRAGMA user_version");
    if (!stmt) return std::move(stmt).error();
    if (auto ok = stmt->one("read user_version", "no user_version"); !ok) return std::move(ok).error();
    return static_cast<int>(stmt->integer(0));
}

}  // namespace

int latest_schema_version() noexcept
{
    return static_cast<int>(migrations.size());
}

Result<void> migrate(Connection& connection)
{
    while (true) {
        WriteTransaction tx(connection);
        if (auto ok = tx.begin(); !ok) return ok;
        // Read the version inside the write lock: two processes opening a new file at once
        // must not both apply migration 1.
        auto version = current_version(connection);
        if (!version) return std::move(version).error();
        if (*version > latest_schema_version())
            return fail(Errc::storage_failure, "the database has schema version " + std::to_string(*version) +
                                                   ", newer than the " + std::to_string(latest_schema_version()) +
                                                   " this version of usermgmt knows; upgrade usermgmt to open it");
        if (*version == latest_schema_version()) return tx.commit();
        if (auto ok = connection.exec(migrations[static_cast<std::size_t>(*version)]); !ok) return ok;
        if (auto ok = connection.exec("PRAGMA user_version = " + std::to_string(*version + 1)); !ok) return ok;
        if (auto ok = tx.commit(); !ok) return ok;
    }
}

}  // namespace usermgmt::detail::sqlite

namespace usermgmt {
int sqlite_schema_version() noexcept
{
    return detail::sqlite::latest_schema_version();
}
}  // namespace usermgmt
