#include "usermgmt/sqlite_store.hpp"

#include "connection.hpp"
#include "lending_store.hpp"
#include "mail_rows.hpp"
#include "schema.hpp"
#include "wal_watch.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace usermgmt {
namespace {

using detail::sqlite::Connection;
using detail::sqlite::RelaxedSync;
using detail::sqlite::Statement;
using detail::sqlite::to_error;
using detail::sqlite::WriteTransaction;

using detail::sqlite::from_micros;
using detail::sqlite::to_micros;

// Escapes LIKE's wildcards so a prefix filter matches literally.
std::string like_prefix(std::string_view prefix)
{
    std::string out;
    for (char c : prefix) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out + '%';
}

constexpr char group_separator = '\x1f';

const std::string user_columns =
    "SELECT id, username, email, password_hash, first_name, last_name, birthdate, avatar, avatar_is_media, "
    "is_active, is_staff, is_superuser, date_joined, updated_at, last_login, "
    "(SELECT group_concat(name, char(31)) FROM (SELECT g.name AS name FROM user_groups ug "
    "JOIN groups g ON g.id = ug.group_id WHERE ug.user_id = users.id ORDER BY g.name)), activated_at, disabled FROM users ";

StoredUser read_user(const Statement& s)
{
    StoredUser r;
    User& u = r.user;
    u.id = s.integer(0);
    u.username = s.text(1);
    u.email = s.text(2);
    r.password_hash = s.text(3);
    u.first_name = s.text(4);
    u.last_name = s.text(5);
    if (!s.is_null(6)) u.birthdate = Date::parse_iso(s.text(6));
    u.avatar = s.text(7);
    u.avatar_is_media = s.integer(8) != 0;
    u.is_active = s.integer(9) != 0;
    u.is_staff = s.integer(10) != 0;
    u.is_superuser = s.integer(11) != 0;
    u.date_joined = from_micros(s.integer(12));
    u.updated_at = from_micros(s.integer(13));
    if (!s.is_null(14)) u.last_login = from_micros(s.integer(14));
    const std::string groups = s.text(15);
    for (std::size_t start = 0; start < groups.size();) {
        auto end = groups.find(group_separator, start);
        if (end == std::string::npos) end = groups.size();
        u.groups.push_back(groups.substr(start, end - start));
        start = end + 1;
    }
    if (!s.is_null(16)) u.activated_at = from_micros(s.integer(16));
    u.disabled = s.integer(17) != 0;
    return r;
}

std::optional<std::string> birthdate_text(const User& u)
{
    return u.birthdate ? std::optional(u.birthdate->to_iso()) : std::nullopt;
}

// Calls `row` for each row of `s`; the error of a failed step.
template <class Row>
Result<void> each_row(Statement& s, std::string_view what, Row row)
{
    while (true) {
        auto next = s.next(what);
        if (!next) return std::move(next).error();
        if (!*next) return {};
        row();
    }
}

// A UserStore working on one connection; the pool hands one out per call or transaction.
class ConnectionStore final : public UserStore {
public:
    explicit ConnectionStore(Connection& connection) : c_(connection) {}

    Result<StoredUser> insert_user(const StoredUser& record) override
    {
        WriteTransaction tx(c_);
        if (auto ok = tx.begin(); !ok) return std::move(ok).error();
        auto s = c_.prepare(
            "INSERT INTO users (username, email, password_hash, first_name, last_name, birthdate, avatar, "
            "avatar_is_media, is_active, is_staff, is_superuser, date_joined, updated_at, last_login, activated_at, "
            "disabled, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, NULLIF(?17, 0))");
        if (!s) return std::move(s).error();
        // Id 0: SQLite picks the next one (AUTOINCREMENT: never one a deleted user had).
        if (auto ok = bind_user(*s, record).bind(17, record.user.id).run("insert user"); !ok)
            return name_clash(std::move(ok).error(), record);
        const UserId id = c_.last_insert_id();
        if (auto ok = write_groups(id, record.user.groups); !ok) return std::move(ok).error();
        auto stored = find_user(id);
        if (!stored) return stored;
        if (auto ok = tx.commit(); !ok) return std::move(ok).error();
        return stored;
    }

    Result<StoredUser> find_user(UserId id) override
    {
        return find_one(user_columns + "WHERE id = ?1", [&](Statement& s) { s.bind(1, id); });
    }

    Result<StoredUser> find_user_by_username(std::string_view username) override
    {
        return find_one(user_columns + "WHERE username = ?1", [&](Statement& s) { s.bind(1, username); });
    }

    Result<StoredUser> find_user_by_email(std::string_view email) override
    {
        return find_one(user_columns + "WHERE email = ?1", [&](Statement& s) { s.bind(1, email); });
    }

    Result<void> update_user(const StoredUser& record) override
    {
        WriteTransaction tx(c_);
        if (auto ok = tx.begin(); !ok) return ok;
        auto s = c_.prepare(
            "UPDATE users SET username = ?1, email = ?2, password_hash = ?3, first_name = ?4, last_name = ?5, "
            "birthdate = ?6, avatar = ?7, avatar_is_media = ?8, is_active = ?9, is_staff = ?10, "
            "is_superuser = ?11, date_joined = ?12, updated_at = ?13, last_login = ?14, activated_at = ?15, "
            "disabled = ?16 WHERE id = ?17");
        if (!s) return std::move(s).error();
        bind_user(*s, record).bind(17, record.user.id);
        if (auto ok = s->run("update user"); !ok) return name_clash(std::move(ok).error(), record);
        if (c_.changes() == 0) return fail(Errc::not_found, "no such user");
        if (auto ok = write_groups(record.user.id, record.user.groups); !ok) return ok;
        return tx.commit();
    }

    Result<void> erase_user(UserId id) override
    {
        return write_one("DELETE FROM users WHERE id = ?1", [&](Statement& s) { s.bind(1, id); }, "delete user",
                         true);
    }

    Result<std::vector<User>> erase_unactivated(TimePoint joined_before) override
    {
        WriteTransaction tx(c_);
        if (auto ok = tx.begin(); !ok) return std::move(ok).error();
        auto s = c_.prepare(user_columns + "WHERE activated_at IS NULL AND is_active = 0 AND disabled = 0 "
                                           "AND date_joined < ?1");
        if (!s) return std::move(s).error();
        s->bind(1, to_micros(joined_before));
        std::vector<User> gone;
        if (auto ok = each_row(*s, "find unactivated users", [&] { gone.push_back(read_user(*s).user); }); !ok)
            return std::move(ok).error();
        for (const auto& u : gone)
            if (auto ok = erase_user(u.id); !ok) return std::move(ok).error();
        if (auto ok = tx.commit(); !ok) return std::move(ok).error();
        return gone;
    }

    Result<UserPage> list_users(const ListQuery& q) override
    {
        std::string where;
        if (!q.email_prefix.empty()) where += " AND email LIKE ?3 ESCAPE '\\'";
        if (!q.username_prefix.empty()) where += " AND username LIKE ?4 ESCAPE '\\'";
        const auto bind_filters = [&](Statement& s) {
            if (!q.email_prefix.empty()) s.bind(3, like_prefix(q.email_prefix));
            if (!q.username_prefix.empty()) s.bind(4, like_prefix(q.username_prefix));
        };
        UserPage page;
        // Two steps: the id at the offset, then one window of rows from it (a plain OFFSET would
        // step over every skipped row's record). Without filters, the block counts (migration 4)
        // say which block of 1024 ids holds the offset, and only that block's narrow index
        // entries are walked. With filters, the matching ids are walked from the start.
        const std::string unfiltered_first_id =
            "(WITH running AS (SELECT block, users, sum(users) OVER (ORDER BY block) AS through FROM user_id_blocks), "
            "start AS (SELECT block << 10 AS low, ?2 - (through - users) AS skip FROM running "
            "WHERE through > ?2 ORDER BY block LIMIT 1) "
            "SELECT id FROM users INDEXED BY users_by_id WHERE id >= (SELECT low FROM start) "
            "ORDER BY id LIMIT 1 OFFSET coalesce((SELECT skip FROM start), 0))";
        const std::string first_id =
            where.empty() ? unfiltered_first_id : "(SELECT id FROM users WHERE 1" + where + " ORDER BY id LIMIT 1 OFFSET ?2)";
        auto s = c_.prepare(user_columns + "WHERE 1" + where + " AND id >= " + first_id + " ORDER BY id LIMIT ?1");
        if (!s) return std::move(s).error();
        s->bind(1, q.limit).bind(2, q.offset);
        bind_filters(*s);
        if (auto ok = each_row(*s, "list users", [&] { page.users.push_back(read_user(*s).user); }); !ok)
            return std::move(ok).error();

        // Without filters the trigger-kept counter answers without scanning the table.
        auto count = c_.prepare(where.empty() ? "SELECT value FROM counters WHERE name = 'users'"
                                              : "SELECT count(*) FROM users WHERE 1" + where);
        if (!count) return std::move(count).error();
        bind_filters(*count);
        if (auto ok = count->one("count users", "no count"); !ok) return std::move(ok).error();
        page.total = count->integer(0);
        return page;
    }

    Result<void> create_group(std::string_view name) override
    {
        auto made = write_one("INSERT INTO groups (name) VALUES (?1)", [&](Statement& s) { s.bind(1, name); },
                              "create group", false);
        if (made || made.error().code != Errc::already_exists) return made;
        Error clash = std::move(made).error();
        clash.fields.add("name", Reason::taken);
        return clash;
    }

    Result<void> erase_group(std::string_view name) override
    {
        return write_one("DELETE FROM groups WHERE name = ?1", [&](Statement& s) { s.bind(1, name); }, "delete group",
                         true);
    }

    Result<std::vector<std::string>> list_groups() override
    {
        auto s = c_.prepare("SELECT name FROM groups ORDER BY name");
        if (!s) return std::move(s).error();
        std::vector<std::string> names;
        if (auto ok = each_row(*s, "list groups", [&] { names.push_back(s->text(0)); }); !ok)
            return std::move(ok).error();
        return names;
    }

    Result<void> put_token(const TokenRecord& t) override
    {
        return write_one(
            "INSERT INTO one_time_tokens (digest, purpose, user_id, created_at, expires_at, used_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            [&](Statement& s) {
                s.bind_blob(1, t.digest)
                    .bind(2, static_cast<std::int64_t>(t.purpose))
                    .bind(3, t.user_id)
                    .bind(4, to_micros(t.created_at))
                    .bind(5, to_micros(t.expires_at));
                if (t.used) s.bind(6, to_micros(t.created_at));
            },
            "put token", false);
    }

    Result<TokenRecord> find_token(TokenPurpose purpose, std::string_view digest) override
    {
        return token_query("SELECT user_id, created_at, expires_at, used_at IS NOT NULL FROM one_time_tokens "
                           "WHERE digest = ?1 AND purpose = ?2",
                           purpose, digest, std::nullopt);
    }

    Result<TokenRecord> consume_token(TokenPurpose purpose, std::string_view digest, TimePoint at) override
    {
        // One UPDATE decides: of two concurrent consumers, only one sees the row unused.
        return token_query("UPDATE one_time_tokens SET used_at = ?3 WHERE digest = ?1 AND purpose = ?2 "
                           "AND used_at IS NULL RETURNING user_id, created_at, expires_at, 1",
                           purpose, digest, to_micros(at));
    }

    Result<void> erase_tokens(UserId user, TokenPurpose purpose) override
    {
        return write_one("DELETE FROM one_time_tokens WHERE user_id = ?1 AND purpose = ?2",
                         [&](Statement& s) { s.bind(1, user).bind(2, static_cast<std::int64_t>(purpose)); },
                         "erase tokens", false);
    }

    Result<void> create_session(const SessionRecord& r) override
    {
        return write_one("INSERT INTO sessions (id, user_id, created_at, expires_at, ended_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                         [&](Statement& s) {
                             s.bind(1, r.id).bind(2, r.user_id).bind(3, to_micros(r.created_at)).bind(4, to_micros(r.expires_at));
                             if (r.ended_at) s.bind(5, to_micros(*r.ended_at));
                         },
                         "create session", false);
    }

    // Two statements, where update_user would rewrite every column and the memberships. The
    // commit does not wait for the disk (RelaxedSync): lost in a power failure, the session is
    // unknown and its tokens refused, and the user logs in again; a login commit is most of a
    // login's own work besides its hash (docs/performance.md). Declared first: restored after
    // the transaction has ended either way.
    Result<void> record_login(UserId id, std::string_view verified_hash, TimePoint at,
                              const SessionRecord& session) override
    {
        RelaxedSync relaxed(c_);
        WriteTransaction tx(c_);
        if (auto ok = tx.begin(); !ok) return ok;
        if (auto ok = write_one("UPDATE users SET last_login = ?1 WHERE id = ?2 AND is_active = 1 AND password_hash = ?3",
                                [&](Statement& s) { s.bind(1, to_micros(at)).bind(2, id).bind(3, verified_hash); },
                                "record login", true);
            !ok)
            return ok;
        if (auto ok = create_session(session); !ok) return ok;
        return tx.commit();
    }

    Result<SessionRecord> find_session(std::string_view id) override
    {
        auto s = c_.prepare("SELECT user_id, created_at, expires_at, ended_at FROM sessions WHERE id = ?1");
        if (!s) return std::move(s).error();
        s->bind(1, id);
        if (auto ok = s->one("find session", "no such session"); !ok) return std::move(ok).error();
        SessionRecord r;
        r.id = std::string(id);
        r.user_id = s->integer(0);
        r.created_at = from_micros(s->integer(1));
        r.expires_at = from_micros(s->integer(2));
        if (!s->is_null(3)) r.ended_at = from_micros(s->integer(3));
        return r;
    }

    Result<void> end_session(std::string_view id, TimePoint at) override
    {
        return write_one("UPDATE sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
                         [&](Statement& s) { s.bind(1, id).bind(2, to_micros(at)); }, "end session", false);
    }

    Result<void> end_sessions_of(UserId user, std::string_view keep, TimePoint at) override
    {
        return write_one("UPDATE sessions SET ended_at = ?3 WHERE user_id = ?1 AND id <> ?2 AND ended_at IS NULL",
                         [&](Statement& s) { s.bind(1, user).bind(2, keep).bind(3, to_micros(at)); },
                         "end sessions", false);
    }

    Result<std::optional<TimePoint>> record_refresh_use(std::string_view digest, std::string_view session,
                                                        TimePoint at, TimePoint extend_to) override
    {
        WriteTransaction tx(c_);
        if (auto ok = tx.begin(); !ok) return std::move(ok).error();
        // The INSERT decides which of two concurrent uses is the first.
        auto insert = c_.prepare("INSERT INTO refresh_uses (digest, session_id, used_at) VALUES (?1, ?2, ?3) "
                                 "ON CONFLICT (digest) DO NOTHING");
        if (!insert) return std::move(insert).error();
        insert->bind_blob(1, digest).bind(2, session).bind(3, to_micros(at));
        if (auto ok = insert->run("record refresh use"); !ok) return std::move(ok).error();
        if (c_.changes() == 1) {
            auto extend = c_.prepare("UPDATE sessions SET expires_at = max(expires_at, ?2) WHERE id = ?1");
            if (!extend) return std::move(extend).error();
            extend->bind(1, session).bind(2, to_micros(extend_to));
            if (auto ok = extend->run("extend session"); !ok) return std::move(ok).error();
            if (auto ok = tx.commit(); !ok) return std::move(ok).error();
            return std::optional<TimePoint>();
        }
        auto earlier = c_.prepare("SELECT used_at FROM refresh_uses WHERE digest = ?1");
        if (!earlier) return std::move(earlier).error();
        earlier->bind_blob(1, digest);
        if (auto ok = earlier->one("read refresh use", "no refresh use"); !ok) return std::move(ok).error();
        const TimePoint first_use = from_micros(earlier->integer(0));
        earlier->reset();
        if (auto ok = tx.commit(); !ok) return std::move(ok).error();
        return std::optional<TimePoint>(first_use);
    }

    Result<void> purge_expired(TimePoint before) override
    {
        WriteTransaction tx(c_);
        if (auto ok = tx.begin(); !ok) return ok;
        // Dead mails stay 30 days past their link's end for the operator to see, then go.
        for (const char* sql : {"DELETE FROM sessions WHERE expires_at < ?1", "DELETE FROM one_time_tokens WHERE expires_at < ?1",
                                "DELETE FROM mail_queue WHERE state = 1 AND expires_at < ?1 - 2592000000000"}) {
            if (auto ok = write_one(sql, [&](Statement& s) { s.bind(1, to_micros(before)); }, "purge", false); !ok)
                return ok;
        }
        return tx.commit();
    }

    Result<MailId> put_mail(const QueuedMail& mail) override { return detail::sqlite::mail_rows::put(c_, mail); }
    Result<std::vector<QueuedMail>> claim_mail(TimePoint now, TimePoint lease_until, std::size_t limit) override
    {
        return detail::sqlite::mail_rows::claim(c_, now, lease_until, limit);
    }
    Result<void> erase_mail(MailId id, std::optional<TimePoint> held_until) override
    {
        return detail::sqlite::mail_rows::erase(c_, id, held_until);
    }
    Result<void> defer_mail(MailId id, TimePoint held_until, TimePoint next_attempt, std::string_view reason) override
    {
        return detail::sqlite::mail_rows::defer(c_, id, held_until, next_attempt, reason);
    }
    Result<void> bury_mail(MailId id, std::optional<TimePoint> held_until, std::string_view reason) override
    {
        return detail::sqlite::mail_rows::bury(c_, id, held_until, reason);
    }
    Result<MailQueueCounts> count_mail(TimePoint now) override { return detail::sqlite::mail_rows::count(c_, now); }
    Result<std::vector<QueuedMail>> list_mail(MailState state, std::size_t limit) override
    {
        return detail::sqlite::mail_rows::list(c_, state, limit);
    }
    Result<QueuedMail> find_mail(MailId id) override { return detail::sqlite::mail_rows::find(c_, id); }

    Result<void> in_transaction(const std::function<Result<void>(UserStore&)>& work) override
    {
        WriteTransaction tx(c_);
        if (auto ok = tx.begin(); !ok) return ok;
        if (auto ok = work(*this); !ok) return ok;
        return tx.commit();
    }

    Result<void> ping() override
    {
        auto s = c_.prepare("SELECT value FROM counters WHERE name = 'users'");
        if (!s) return std::move(s).error();
        return s->one("ping", "no user counter");
    }

    // This connection's view: SQLite counts the commits of every other connection, not its own.
    Result<std::uint64_t> data_version() override
    {
        auto s = c_.prepare("PRAGMA data_version");
        if (!s) return std::move(s).error();
        if (auto ok = s->one("data_version", "no data_version"); !ok) return std::move(ok).error();
        return static_cast<std::uint64_t>(s->integer(0));
    }

private:
    // A unique clash of a user row names its field: the database is asked which value is taken
    // (by another row), rather than its error text parsed.
    Error name_clash(Error error, const StoredUser& record)
    {
        if (error.code != Errc::already_exists) return error;
        for (const char* field : {"username", "email"}) {
            auto s = c_.prepare(std::string("SELECT 1 FROM users WHERE ") + field + " = ?1 AND id <> ?2");
            if (!s) return std::move(s).error();
            s->bind(1, field[0] == 'u' ? record.user.username : record.user.email).bind(2, record.user.id);
            auto taken = s->next("find clash");
            if (!taken) return std::move(taken).error();
            if (*taken) error.fields.add(field, Reason::taken);
        }
        return error;
    }

    static Statement& bind_user(Statement& s, const StoredUser& r)
    {
        const User& u = r.user;
        s.bind(1, u.username).bind(2, u.email).bind(3, r.password_hash).bind(4, u.first_name).bind(5, u.last_name);
        if (auto b = birthdate_text(u)) s.bind(6, *b);
        s.bind(7, u.avatar)
            .bind(8, std::int64_t{u.avatar_is_media})
            .bind(9, std::int64_t{u.is_active})
            .bind(10, std::int64_t{u.is_staff})
            .bind(11, std::int64_t{u.is_superuser})
            .bind(12, to_micros(u.date_joined))
            .bind(13, to_micros(u.updated_at));
        if (u.last_login) s.bind(14, to_micros(*u.last_login));
        if (u.activated_at) s.bind(15, to_micros(*u.activated_at));
        s.bind(16, std::int64_t{u.disabled});
        return s;
    }

    // Replaces the memberships of `id`; groups named for the first time are created.
    Result<void> write_groups(UserId id, const std::vector<std::string>& groups)
    {
        if (auto ok = write_one("DELETE FROM user_groups WHERE user_id = ?1", [&](Statement& s) { s.bind(1, id); },
                                "clear memberships", false);
            !ok)
            return ok;
        for (const auto& name : groups) {
            if (auto ok = write_one("INSERT OR IGNORE INTO groups (name) VALUES (?1)",
                                    [&](Statement& s) { s.bind(1, name); }, "create group", false);
                !ok)
                return ok;
            if (auto ok = write_one("INSERT OR IGNORE INTO user_groups (user_id, group_id) "
                                    "SELECT ?1, id FROM groups WHERE name = ?2",
                                    [&](Statement& s) { s.bind(1, id).bind(2, name); }, "add membership", false);
                !ok)
                return ok;
        }
        return {};
    }

    template <class Binder>
    Result<StoredUser> find_one(const std::string& sql, Binder bind)
    {
        auto s = c_.prepare(sql);
        if (!s) return std::move(s).error();
        bind(*s);
        if (auto ok = s->one("find user", "no such user"); !ok) return std::move(ok).error();
        return read_user(*s);
    }

    template <class Binder>
    Result<void> write_one(const std::string& sql, Binder bind, std::string_view what, bool must_change)
    {
        auto s = c_.prepare(sql);
        if (!s) return std::move(s).error();
        bind(*s);
        if (auto ok = s->run(what); !ok) return ok;
        if (must_change && c_.changes() == 0) return fail(Errc::not_found, std::string(what) + ": no such row");
        return {};
    }

    Result<TokenRecord> token_query(const std::string& sql, TokenPurpose purpose, std::string_view digest,
                                    std::optional<std::int64_t> now)
    {
        auto s = c_.prepare(sql);
        if (!s) return std::move(s).error();
        s->bind_blob(1, digest).bind(2, static_cast<std::int64_t>(purpose));
        if (now) s->bind(3, *now);
        if (auto ok = s->one("token", "no such token"); !ok) return std::move(ok).error();
        TokenRecord t;
        t.purpose = purpose;
        t.digest = std::string(digest);
        t.user_id = s->integer(0);
        t.created_at = from_micros(s->integer(1));
        t.expires_at = from_micros(s->integer(2));
        t.used = s->integer(3) != 0;
        // RETURNING rows are produced before the statement ends: finish it so the change lands.
        if (auto ok = s->run("token"); !ok) return std::move(ok).error();
        return t;
    }

    Connection& c_;
};

// The thread-safe store: each call borrows a connection from the pool for its duration.
// Writers may hold all connections but `read_reserve` of them, so reads (token checks, lists,
// /healthz) always find one even while every writer waits on a locked database. No call waits
// for a connection longer than the busy timeout: it fails (503) instead.
class PooledStore final : public detail::LendingStore<PooledStore> {
public:
    PooledStore(std::string path, SqliteOptions options) : path_(std::move(path)), options_(options)
    {
        read_reserve_ = options_.max_connections > 1 ? std::max<std::size_t>(1, options_.max_connections / 4) : 0;
    }

    Result<void> start()
    {
        auto first = Connection::open(path_, options_.busy_timeout);
        if (!first) return std::move(first).error();
        if (auto ok = detail::sqlite::migrate(**first); !ok) return ok;
        idle_.push_back(std::move(*first));
        open_count_ = 1;
        // A connection of its own that never writes: its data_version moves with every commit
        // made by anyone, this process's other connections included.
        auto watcher = Connection::open(path_, options_.busy_timeout);
        if (!watcher) return std::move(watcher).error();
        watcher_ = std::move(*watcher);
        // One read maps the WAL index; from then on the index's header answers without a
        // transaction (wal_watch.hpp). A VFS that does not share it leaves the PRAGMA.
        if (auto read = ConnectionStore(*watcher_).data_version(); !read) return std::move(read).error();
        wal_watch_ = detail::sqlite::WalWatch::open(watcher_->db());
        return {};
    }

    Result<std::uint64_t> data_version() override
    {
        if (wal_watch_) return wal_watch_->version();
        std::lock_guard lock(watcher_mutex_);
        return ConnectionStore(*watcher_).data_version();
    }

private:
    friend class detail::LendingStore<PooledStore>;

    // Borrows an idle connection (opening one while under the limit, else waiting at most the
    // busy timeout), runs `call` on a store bound to it, and returns the connection to the pool.
    template <class Call>
    auto lend(Call call, bool writes) -> decltype(call(std::declval<UserStore&>()))
    {
        std::unique_ptr<Connection> connection;
        {
            std::unique_lock lock(mutex_);
            const std::size_t writer_limit = options_.max_connections - read_reserve_;
            const auto may_take = [&] {
                if (writes && writers_ >= writer_limit) return false;
                return !idle_.empty() || open_count_ < options_.max_connections;
            };
            if (!available_.wait_for(lock, options_.busy_timeout, may_take))
                return fail(Errc::storage_failure, "no database connection became free within the busy timeout");
            if (!idle_.empty()) {
                connection = std::move(idle_.back());
                idle_.pop_back();
            } else {
                ++open_count_;
            }
            if (writes) ++writers_;
        }
        // Whatever happens from here (an error, an exception), the slot and connection go back.
        struct GiveBack {
            PooledStore& pool;
            std::unique_ptr<Connection>& connection;
            bool writes;
            ~GiveBack()
            {
                {
                    std::lock_guard lock(pool.mutex_);
                    // A broken connection (settings it could not put back) is closed, not lent again.
                    if (connection && !connection->broken) pool.idle_.push_back(std::move(connection));
                    else {
                        connection.reset();
                        --pool.open_count_;
                    }
                    if (writes) --pool.writers_;
                }
                pool.available_.notify_all();
            }
        } give_back{*this, connection, writes};
        if (!connection) {
            auto opened = Connection::open(path_, options_.busy_timeout);
            if (!opened) return std::move(opened).error();
            connection = std::move(*opened);
        }
        ConnectionStore store(*connection);
        return call(store);
    }

    std::string path_;
    SqliteOptions options_;
    std::size_t read_reserve_ = 0;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_count_ = 0;
    std::size_t writers_ = 0;
    std::mutex watcher_mutex_;
    std::unique_ptr<Connection> watcher_;
    std::unique_ptr<detail::sqlite::WalWatch> wal_watch_;  ///< declared after: gone before the mapping is
};

}  // namespace

Result<std::unique_ptr<UserStore>> open_sqlite_store(const std::filesystem::path& path, SqliteOptions options)
{
    if (options.max_connections == 0) options.max_connections = 1;
    auto store = std::make_unique<PooledStore>(path.string(), options);
    if (auto ok = store->start(); !ok) return std::move(ok).error();
    return std::unique_ptr<UserStore>(std::move(store));
}

}  // namespace usermgmt
