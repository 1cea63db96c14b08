// The PostgreSQL UserStore: a store bound to one connection (ConnectionStore), a pool that lends
// connections per call (PooledStore), and the listener that feeds data_version (ChangeListener).
#include "usermgmt/postgres_store.hpp"

#include "connection.hpp"
#include "connection_pool.hpp"
#include "lending_store.hpp"
#include "mail_rows.hpp"
#include "schema.hpp"

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace usermgmt {
namespace {

using detail::postgres::Connection;
using detail::postgres::from_micros;
using detail::postgres::Params;
using detail::postgres::Rows;
using detail::postgres::to_micros;

constexpr char group_separator = '\x1f';

// Names compare and sort with ASCII letters folded, whatever the database's collation, as
// SQLite's NOCASE does in the SQLite store (and as the unique indexes do).
const std::string user_columns =
    "SELECT id, username, email, password_hash, first_name, last_name, birthdate, avatar, avatar_is_media, "
    "is_active, is_staff, is_superuser, date_joined, updated_at, last_login, "
    "(SELECT string_agg(g.name, chr(31) ORDER BY lower(g.name COLLATE \"C\")) FROM user_groups ug "
    "JOIN groups g ON g.id = ug.group_id WHERE ug.user_id = users.id), activated_at, disabled FROM users ";

StoredUser read_user(const Rows& r, int row)
{
    StoredUser s;
    User& u = s.user;
    u.id = r.integer(row, 0);
    u.username = r.text(row, 1);
    u.email = r.text(row, 2);
    s.password_hash = r.text(row, 3);
    u.first_name = r.text(row, 4);
    u.last_name = r.text(row, 5);
    if (!r.is_null(row, 6)) u.birthdate = Date::parse_iso(r.text(row, 6));
    u.avatar = r.text(row, 7);
    u.avatar_is_media = r.boolean(row, 8);
    u.is_active = r.boolean(row, 9);
    u.is_staff = r.boolean(row, 10);
    u.is_superuser = r.boolean(row, 11);
    u.date_joined = from_micros(r.integer(row, 12));
    u.updated_at = from_micros(r.integer(row, 13));
    if (!r.is_null(row, 14)) u.last_login = from_micros(r.integer(row, 14));
    const std::string groups = r.text(row, 15);
    for (std::size_t start = 0; start < groups.size();) {
        auto end = groups.find(group_separator, start);
        if (end == std::string::npos) end = groups.size();
        u.groups.push_back(groups.substr(start, end - start));
        start = end + 1;
    }
    if (!r.is_null(row, 16)) u.activated_at = from_micros(r.integer(row, 16));
    u.disabled = r.boolean(row, 17);
    return s;
}

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

Params user_params(const StoredUser& r)
{
    const User& u = r.user;
    Params p;
    p.text(u.username).text(u.email).text(r.password_hash).text(u.first_name).text(u.last_name);
    if (u.birthdate) p.text(u.birthdate->to_iso());
    else p.null();
    p.text(u.avatar).boolean(u.avatar_is_media).boolean(u.is_active).boolean(u.is_staff).boolean(u.is_superuser);
    p.integer(to_micros(u.date_joined)).integer(to_micros(u.updated_at));
    if (u.last_login) p.integer(to_micros(*u.last_login));
    else p.null();
    if (u.activated_at) p.integer(to_micros(*u.activated_at));
    else p.null();
    p.boolean(u.disabled);
    return p;
}

// A UserStore working on one connection; the pool hands one out per call or transaction.
class ConnectionStore final : public UserStore {
public:
    explicit ConnectionStore(Connection& connection) : c_(connection) {}

    Result<StoredUser> insert_user(const StoredUser& record) override
    {
        std::optional<StoredUser> stored;
        auto done = transact([&]() -> Result<void> {
            if (record.user.id != 0) {
                // An id given (an import keeping ids). No insert may run meanwhile (until this
                // transaction ends): every id handed out so far is then in the table or gone, so
                // the identity is moved past the given one without ever moving back, and no later
                // registration is given an id that is taken.
                auto locked = c_.run("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", Params(), "lock users");
                if (!locked) return std::move(locked).error();
                auto moved = c_.run("SELECT setval(pg_get_serial_sequence('users', 'id'), GREATEST($1::bigint, "
                                    "pg_sequence_last_value(pg_get_serial_sequence('users', 'id')::regclass)))",
                                    Params().integer(record.user.id), "move the user id sequence");
                if (!moved) return std::move(moved).error();
            }
            auto rows = c_.run("INSERT INTO users (username, email, password_hash, first_name, last_name, birthdate, "
                               "avatar, avatar_is_media, is_active, is_staff, is_superuser, date_joined, updated_at, "
                               "last_login, activated_at, disabled, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                               "$10, $11, $12, $13, $14, $15, $16, COALESCE($17, nextval(pg_get_serial_sequence("
                               "'users', 'id')))) RETURNING id",
                               user_params(record).optional(record.user.id ? std::optional(record.user.id) : std::nullopt),
                               "insert user");
            if (!rows) return std::move(rows).error();
            const UserId id = rows->integer(0, 0);
            if (auto ok = write_groups(id, record.user.groups); !ok) return ok;
            auto found = find_user(id);
            if (!found) return std::move(found).error();
            stored = std::move(*found);
            return {};
        });
        if (!done) return name_clash(std::move(done).error(), record);
        return std::move(*stored);
    }

    Result<StoredUser> find_user(UserId id) override
    {
        return find_one(user_columns + "WHERE id = $1", Params().integer(id));
    }

    Result<StoredUser> find_user_by_username(std::string_view username) override
    {
        return find_one(user_columns + "WHERE lower(username COLLATE \"C\") = lower($1::text COLLATE \"C\")", Params().text(username));
    }

    Result<StoredUser> find_user_by_email(std::string_view email) override
    {
        return find_one(user_columns + "WHERE lower(email COLLATE \"C\") = lower($1::text COLLATE \"C\")", Params().text(email));
    }

    Result<void> update_user(const StoredUser& record) override
    {
        auto done = transact([&]() -> Result<void> {
            Params p = user_params(record);
            p.integer(record.user.id);
            auto rows = c_.run("UPDATE users SET username = $1, email = $2, password_hash = $3, first_name = $4, "
                               "last_name = $5, birthdate = $6, avatar = $7, avatar_is_media = $8, is_active = $9, "
                               "is_staff = $10, is_superuser = $11, date_joined = $12, updated_at = $13, "
                               "last_login = $14, activated_at = $15, disabled = $16 WHERE id = $17",
                               p, "update user");
            if (!rows) return std::move(rows).error();
            if (rows->affected() == 0) return fail(Errc::not_found, "no such user");
            return write_groups(record.user.id, record.user.groups);
        });
        if (!done) return name_clash(std::move(done).error(), record);
        return {};
    }

    Result<void> erase_user(UserId id) override
    {
        return write("DELETE FROM users WHERE id = $1", Params().integer(id), "delete user", true);
    }

    Result<std::vector<User>> erase_unactivated(TimePoint joined_before) override
    {
        std::vector<User> gone;
        auto done = transact([&]() -> Result<void> {
            auto rows = c_.run(user_columns + "WHERE activated_at IS NULL AND NOT is_active AND NOT disabled "
                                              "AND date_joined < $1 FOR UPDATE OF users",
                               Params().integer(to_micros(joined_before)), "find unactivated users");
            if (!rows) return std::move(rows).error();
            for (int i = 0; i < rows->size(); ++i) gone.push_back(read_user(*rows, i).user);
            for (const auto& u : gone)
                if (auto ok = erase_user(u.id); !ok) return ok;
            return {};
        });
        if (!done) return std::move(done).error();
        return gone;
    }

    Result<UserPage> list_users(const ListQuery& q) override
    {
        Params filter_params;
        std::string where;
        int next = 3;  // $1 is the limit, $2 the offset
        if (!q.email_prefix.empty()) {
            where += " AND email COLLATE \"C\" ILIKE $" + std::to_string(next++) + " ESCAPE '\\'";
            filter_params.text(like_prefix(q.email_prefix));
        }
        if (!q.username_prefix.empty()) {
            where += " AND username COLLATE \"C\" ILIKE $" + std::to_string(next++) + " ESCAPE '\\'";
            filter_params.text(like_prefix(q.username_prefix));
        }
        // Two steps, as in the SQLite store: the id at the offset, then one window of rows from
        // it. Without filters the block counts say which block of 1024 ids holds the offset.
        const std::string unfiltered_first_id =
            "(WITH running AS (SELECT block, users, sum(users) OVER (ORDER BY block) AS through FROM user_id_blocks), "
            "start AS (SELECT block << 10 AS low, ($2 - (through - users))::bigint AS skip FROM running "
            "WHERE through > $2 ORDER BY block LIMIT 1) "
            "SELECT id FROM users WHERE id >= (SELECT low FROM start) ORDER BY id LIMIT 1 "
            "OFFSET coalesce((SELECT skip FROM start), 0))";
        const std::string first_id = where.empty() ? unfiltered_first_id
                                                   : "(SELECT id FROM users WHERE TRUE" + where +
                                                         " ORDER BY id LIMIT 1 OFFSET $2)";
        Params p;
        p.integer(q.limit).integer(q.offset);
        if (!q.email_prefix.empty()) p.text(like_prefix(q.email_prefix));
        if (!q.username_prefix.empty()) p.text(like_prefix(q.username_prefix));
        auto rows = c_.run(user_columns + "WHERE TRUE" + where + " AND id >= " + first_id + " ORDER BY id LIMIT $1", p,
                           "list users");
        if (!rows) return std::move(rows).error();
        UserPage page;
        for (int i = 0; i < rows->size(); ++i) page.users.push_back(read_user(*rows, i).user);

        // Without filters the trigger-kept counter answers without scanning the table.
        std::string count_sql = "SELECT value FROM counters WHERE name = 'users'";
        if (!where.empty()) {
            // The filters' parameters, renumbered from $1.
            std::string renumbered = where;
            for (int n = 3; n < next; ++n) {
                const auto at = renumbered.find("$" + std::to_string(n));
                renumbered.replace(at, 2, "$" + std::to_string(n - 2));
            }
            count_sql = "SELECT count(*) FROM users WHERE TRUE" + renumbered;
        }
        auto count = c_.run(count_sql, filter_params, "count users");
        if (!count) return std::move(count).error();
        page.total = count->integer(0, 0);
        return page;
    }

    Result<void> create_group(std::string_view name) override
    {
        auto made = transact([&]() { return write("INSERT INTO groups (name) VALUES ($1)", Params().text(name), "create group", false); });
        if (made || made.error().code != Errc::already_exists) return made;
        Error clash = std::move(made).error();
        clash.fields.add("name", Reason::taken);
        return clash;
    }

    Result<void> erase_group(std::string_view name) override
    {
        return write("DELETE FROM groups WHERE lower(name COLLATE \"C\") = lower($1::text COLLATE \"C\")", Params().text(name), "delete group", true);
    }

    Result<std::vector<std::string>> list_groups() override
    {
        auto rows = c_.run("SELECT name FROM groups ORDER BY lower(name COLLATE \"C\")", {}, "list groups");
        if (!rows) return std::move(rows).error();
        std::vector<std::string> names;
        for (int i = 0; i < rows->size(); ++i) names.push_back(rows->text(i, 0));
        return names;
    }

    Result<void> put_token(const TokenRecord& t) override
    {
        Params p;
        p.bytes(t.digest).integer(static_cast<std::int64_t>(t.purpose)).integer(t.user_id);
        p.integer(to_micros(t.created_at)).integer(to_micros(t.expires_at));
        if (t.used) p.integer(to_micros(t.created_at));
        else p.null();
        return write("INSERT INTO one_time_tokens (digest, purpose, user_id, created_at, expires_at, used_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6)",
                     p, "put token", false);
    }

    Result<TokenRecord> find_token(TokenPurpose purpose, std::string_view digest) override
    {
        return token_query("SELECT user_id, created_at, expires_at, used_at IS NOT NULL FROM one_time_tokens "
                           "WHERE digest = $1 AND purpose = $2",
                           purpose, digest, std::nullopt);
    }

    Result<TokenRecord> consume_token(TokenPurpose purpose, std::string_view digest, TimePoint at) override
    {
        // One UPDATE decides: a second consumer waits for the first to commit, then finds the
        // row used (READ COMMITTED re-checks the WHERE clause on the new row version).
        return token_query("UPDATE one_time_tokens SET used_at = $3 WHERE digest = $1 AND purpose = $2 "
                           "AND used_at IS NULL RETURNING user_id, created_at, expires_at, true",
                           purpose, digest, to_micros(at));
    }

    Result<void> erase_tokens(UserId user, TokenPurpose purpose) override
    {
        return write("DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose = $2",
                     Params().integer(user).integer(static_cast<std::int64_t>(purpose)), "erase tokens", false);
    }

    // A session row as $1..$5: id, user_id, created_at, expires_at, ended_at.
    static Params session_params(const SessionRecord& r)
    {
        Params p;
        p.text(r.id).integer(r.user_id).integer(to_micros(r.created_at)).integer(to_micros(r.expires_at));
        if (r.ended_at) p.integer(to_micros(*r.ended_at));
        else p.null();
        return p;
    }

    Result<void> create_session(const SessionRecord& r) override
    {
        return write("INSERT INTO sessions (id, user_id, created_at, expires_at, ended_at) VALUES ($1, $2, $3, $4, $5)",
                     session_params(r), "create session", false);
    }

    // One statement (one round trip, atomic by itself): the session is created only from the row
    // the update found, where update_user would rewrite every column and the memberships.
    Result<void> record_login([[maybe_unused]] UserId id, std::string_view verified_hash, TimePoint at,
                              const SessionRecord& session) override
    {
        Params p = session_params(session);  // its user_id ($2) is `id` (the contract says so)
        p.integer(to_micros(at)).text(verified_hash);
        const auto statement = [&] {
            return write("WITH login AS (UPDATE users SET last_login = $6::bigint "
                         "WHERE id = $2::bigint AND is_active AND password_hash = $7::text RETURNING id) "
                         "INSERT INTO sessions (id, user_id, created_at, expires_at, ended_at) "
                         "SELECT $1::text, id, $3::bigint, $4::bigint, $5::bigint FROM login",
                         p, "record login", true);
        };
        // Inside a caller's transaction, in a savepoint of its own: a failure undoes only this.
        return depth_ == 0 ? statement() : transact(statement);
    }

    Result<SessionRecord> find_session(std::string_view id) override
    {
        auto rows = c_.run("SELECT user_id, created_at, expires_at, ended_at FROM sessions WHERE id = $1",
                           Params().text(id), "find session");
        if (!rows) return std::move(rows).error();
        if (rows->empty()) return fail(Errc::not_found, "no such session");
        SessionRecord r;
        r.id = std::string(id);
        r.user_id = rows->integer(0, 0);
        r.created_at = from_micros(rows->integer(0, 1));
        r.expires_at = from_micros(rows->integer(0, 2));
        if (!rows->is_null(0, 3)) r.ended_at = from_micros(rows->integer(0, 3));
        return r;
    }

    Result<void> end_session(std::string_view id, TimePoint at) override
    {
        return write("UPDATE sessions SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL",
                     Params().text(id).integer(to_micros(at)), "end session", false);
    }

    Result<void> end_sessions_of(UserId user, std::string_view keep, TimePoint at) override
    {
        return write("UPDATE sessions SET ended_at = $3 WHERE user_id = $1 AND id <> $2 AND ended_at IS NULL",
                     Params().integer(user).text(keep).integer(to_micros(at)), "end sessions", false);
    }

    Result<std::optional<TimePoint>> record_refresh_use(std::string_view digest, std::string_view session,
                                                        TimePoint at, TimePoint extend_to) override
    {
        std::optional<TimePoint> earlier;
        auto done = transact([&]() -> Result<void> {
            // The INSERT decides which of two concurrent uses is the first (the second waits
            // for the first's commit on the primary key, then does nothing).
            auto inserted = c_.run("INSERT INTO refresh_uses (digest, session_id, used_at) VALUES ($1, $2, $3) "
                                   "ON CONFLICT (digest) DO NOTHING RETURNING used_at",
                                   Params().bytes(digest).text(session).integer(to_micros(at)), "record refresh use");
            if (!inserted) return std::move(inserted).error();
            if (!inserted->empty()) {
                return write("UPDATE sessions SET expires_at = greatest(expires_at, $2) WHERE id = $1",
                             Params().text(session).integer(to_micros(extend_to)), "extend session", false);
            }
            auto first = c_.run("SELECT used_at FROM refresh_uses WHERE digest = $1", Params().bytes(digest),
                                "read refresh use");
            if (!first) return std::move(first).error();
            if (first->empty()) return fail(Errc::storage_failure, "refresh use vanished");
            earlier = from_micros(first->integer(0, 0));
            return {};
        });
        if (!done) return std::move(done).error();
        return earlier;
    }

    Result<void> purge_expired(TimePoint before) override
    {
        return transact([&]() -> Result<void> {
            // Dead mails stay 30 days past their link's end for the operator to see, then go.
            for (const char* sql : {"DELETE FROM sessions WHERE expires_at < $1",
                                    "DELETE FROM one_time_tokens WHERE expires_at < $1",
                                    "DELETE FROM mail_queue WHERE state = 1 AND expires_at < $1 - 2592000000000"})
                if (auto ok = write(sql, Params().integer(to_micros(before)), "purge", false); !ok) return ok;
            return {};
        });
    }

    Result<MailId> put_mail(const QueuedMail& mail) override { return detail::postgres::mail_rows::put(c_, mail); }
    Result<std::vector<QueuedMail>> claim_mail(TimePoint now, TimePoint lease_until, std::size_t limit) override
    {
        return detail::postgres::mail_rows::claim(c_, now, lease_until, limit);
    }
    Result<void> erase_mail(MailId id, std::optional<TimePoint> held_until) override
    {
        return detail::postgres::mail_rows::erase(c_, id, held_until);
    }
    Result<void> defer_mail(MailId id, TimePoint held_until, TimePoint next_attempt, std::string_view reason) override
    {
        return detail::postgres::mail_rows::defer(c_, id, held_until, next_attempt, reason);
    }
    Result<void> bury_mail(MailId id, std::optional<TimePoint> held_until, std::string_view reason) override
    {
        return detail::postgres::mail_rows::bury(c_, id, held_until, reason);
    }
    Result<MailQueueCounts> count_mail(TimePoint now) override { return detail::postgres::mail_rows::count(c_, now); }
    Result<std::vector<QueuedMail>> list_mail(MailState state, std::size_t limit) override
    {
        return detail::postgres::mail_rows::list(c_, state, limit);
    }
    Result<QueuedMail> find_mail(MailId id) override { return detail::postgres::mail_rows::find(c_, id); }

    Result<void> in_transaction(const std::function<Result<void>(UserStore&)>& work) override
    {
        return transact([&] { return work(*this); });
    }

    Result<void> ping() override
    {
        auto rows = c_.run("SELECT value FROM counters WHERE name = 'users'", {}, "ping");
        if (!rows) return std::move(rows).error();
        return {};
    }

    // The pool answers this from its listener; a bare connection store cannot tell.
    Result<std::uint64_t> data_version() override
    {
        return fail(Errc::storage_failure, "data_version is the pool's");
    }

private:
    // Runs `work` in a transaction, or in a savepoint of the one already open: committed (or
    // released) when it succeeds, rolled back when it fails, so a failed inner step never
    // leaves its half-done changes in an outer transaction that goes on.
    template <class Work>
    Result<void> transact(Work work)
    {
        const std::string savepoint = "sp" + std::to_string(depth_);
        const std::string rollback = depth_ == 0 ? std::string("ROLLBACK") : "ROLLBACK TO SAVEPOINT " + savepoint;
        if (auto ok = c_.exec(depth_ == 0 ? std::string("BEGIN") : "SAVEPOINT " + savepoint, "begin"); !ok) return ok;
        ++depth_;
        Result<void> done = work();
        --depth_;
        // A statement that failed inside `work` aborted the transaction even if `work` went on:
        // PostgreSQL would answer COMMIT with a rollback. Never report that as committed.
        if (done && PQtransactionStatus(c_.handle()) == PQTRANS_INERROR)
            done = fail(Errc::storage_failure, "a statement failed inside the transaction");
        if (!done) {
            (void)c_.exec(rollback, "rollback");
            return done;
        }
        auto ended = c_.exec(depth_ == 0 ? std::string("COMMIT") : "RELEASE SAVEPOINT " + savepoint, "commit");
        if (!ended && depth_ > 0) (void)c_.exec(rollback, "rollback");
        return ended;
    }

    // A unique clash of a user row names its fields: the database is asked which values are
    // taken by another row (after the failed step was rolled back).
    Error name_clash(Error error, const StoredUser& record)
    {
        if (error.code != Errc::already_exists) return error;
        for (const char* field : {"username", "email"}) {
            auto rows = c_.run(std::string("SELECT 1 FROM users WHERE lower(") + field + " COLLATE \"C\") = lower($1::text COLLATE \"C\") AND id <> $2",
                               Params().text(field[0] == 'u' ? record.user.username : record.user.email)
                                   .integer(record.user.id),
                               "find clash");
            if (!rows) return std::move(rows).error();
            if (!rows->empty()) error.fields.add(field, Reason::taken);
        }
        return error;
    }

    // Replaces the memberships of `id`; groups named for the first time are created.
    Result<void> write_groups(UserId id, const std::vector<std::string>& groups)
    {
        if (auto ok = write("DELETE FROM user_groups WHERE user_id = $1", Params().integer(id), "clear memberships", false);
            !ok)
            return ok;
        // In one order everywhere (folded, as the unique index compares): two transactions that
        // create the same new groups wait for each other instead of deadlocking.
        std::vector<std::string> sorted = groups;
        const auto folded = [](std::string text) {
            for (char& c : text)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            return text;
        };
        std::sort(sorted.begin(), sorted.end(), [&](const auto& x, const auto& y) { return folded(x) < folded(y); });
        for (const auto& name : sorted) {
            if (auto ok = write("INSERT INTO groups (name) VALUES ($1) ON CONFLICT DO NOTHING", Params().text(name),
                                "create group", false);
                !ok)
                return ok;
            if (auto ok = write("INSERT INTO user_groups (user_id, group_id) SELECT $1, id FROM groups "
                                "WHERE lower(name COLLATE \"C\") = lower($2::text COLLATE \"C\") ON CONFLICT DO NOTHING",
                                Params().integer(id).text(name), "add membership", false);
                !ok)
                return ok;
        }
        return {};
    }

    // Inside a transaction a user is read to be changed: its row is locked until the end, so a
    // concurrent change of it waits instead of being lost.
    Result<StoredUser> find_one(const std::string& sql, const Params& params)
    {
        auto rows = c_.run(depth_ > 0 ? sql + " FOR UPDATE OF users" : sql, params, "find user");
        if (!rows) return std::move(rows).error();
        if (rows->empty()) return fail(Errc::not_found, "no such user");
        return read_user(*rows, 0);
    }

    Result<void> write(const std::string& sql, const Params& params, std::string_view what, bool must_change)
    {
        auto rows = c_.run(sql, params, what);
        if (!rows) return std::move(rows).error();
        if (must_change && rows->affected() == 0) return fail(Errc::not_found, std::string(what) + ": no such row");
        return {};
    }

    Result<TokenRecord> token_query(const std::string& sql, TokenPurpose purpose, std::string_view digest,
                                    std::optional<std::int64_t> now)
    {
        Params p;
        p.bytes(digest).integer(static_cast<std::int64_t>(purpose));
        if (now) p.integer(*now);
        auto rows = c_.run(sql, p, "token");
        if (!rows) return std::move(rows).error();
        if (rows->empty()) return fail(Errc::not_found, "no such token");
        TokenRecord t;
        t.purpose = purpose;
        t.digest = std::string(digest);
        t.user_id = rows->integer(0, 0);
        t.created_at = from_micros(rows->integer(0, 1));
        t.expires_at = from_micros(rows->integer(0, 2));
        t.used = rows->boolean(0, 3);
        return t;
    }

    Connection& c_;
    int depth_ = 0;
};

// Feeds data_version: a connection of its own LISTENs on the change channel, and every
// notification moves the number. A look is one round trip on that connection: a writer's
// COMMIT signals the listening server process before the writer hears back, and that process
// sends pending notifications before it answers the next query, so a round trip that starts
// after a commit was acknowledged (to anyone, on any node) sees it.
// The round trips run on the listener's own thread. Looks ask it and wait (`version`), or leave
// a callback (`async_version`, for I/O threads that must not block); every look that arrives
// while a round trip is on the wire is answered by the next one, so one round trip serves them
// all, however many there are.
// When the connection is down nobody can be sure: an error, so that nothing is served from a
// cache, and one change is counted on return for whatever was missed.
class ChangeListener {
public:
    using Answer = std::function<void(const Result<std::uint64_t>&)>;

    /// `timeout` bounds each round trip: a server that stops answering (frozen, partitioned
    /// with the connection still up) fails the looks waiting for it instead of holding them.
    ChangeListener(std::string conninfo, std::string schema, std::chrono::milliseconds timeout)
        : conninfo_(std::move(conninfo)), schema_(std::move(schema)), timeout_(timeout)
    {
    }

    ~ChangeListener()
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        if (thread_.joinable()) thread_.join();  // at most one bounded round trip away
        // Nothing is left waiting forever: looks that arrived as it stopped hear that it did.
        answer_all(waiting_, closing_);
    }

    Result<void> start()
    {
        if (auto ok = connect(); !ok) return ok;
        thread_ = std::thread([this] { serve(); });
        return {};
    }

    void async_version(Answer answer)
    {
        {
            std::lock_guard lock(mutex_);
            if (!stopping_) {
                waiting_.push_back(std::move(answer));
                if (waiting_.size() == 1) wake_.notify_one();
                return;
            }
        }
        answer(closing_);
    }

    Result<std::uint64_t> version()
    {
        // An answer that waited for the listener's own thread would wait for itself.
        if (std::this_thread::get_id() == thread_.get_id()) return unsure_;
        auto answer = std::make_shared<std::promise<Result<std::uint64_t>>>();
        auto future = answer->get_future();
        async_version([answer](const Result<std::uint64_t>& version) { answer->set_value(version); });
        return future.get();
    }

private:
    void serve()
    {
        std::vector<Answer> batch;
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
            if (stopping_) return;
            batch.swap(waiting_);
            lock.unlock();
            answer_all(batch, checked());
            batch.clear();
            lock.lock();
        }
    }

    // A round trip whatever happens: an exception (out of memory) is an answer too, never the
    // end of the thread and of every look after it.
    Result<std::uint64_t> checked()
    {
        try {
            return round_trip();
        } catch (...) {
            connection_.reset();
            return unsure_;
        }
    }

    // Each look is answered; one that throws (out of memory while handing its request on) does
    // not keep the others from theirs.
    static void answer_all(std::vector<Answer>& answers, const Result<std::uint64_t>& version)
    {
        for (auto& answer : answers) {
            try {
                answer(version);
            } catch (...) {
            }
        }
    }

    // Only the listener's thread runs this (and `connect`, once it runs).
    Result<std::uint64_t> round_trip()
    {
        if (!connection_ || !connection_->usable()) {
            connection_.reset();
            // Retried at most every 100 ms, so that a down server does not get a connection
            // attempt per look.
            const auto now = std::chrono::steady_clock::now();
            if (now - last_attempt_ < std::chrono::milliseconds(100))
                return fail(Errc::storage_failure, "not listening for changes");
            last_attempt_ = now;
            if (auto ok = connect(); !ok) return std::move(ok).error();
        }
        PGconn* conn = connection_->handle();
        // An empty query and its answer: the server sends the notifications of every commit
        // before it answers, and libpq has queued them once the answer is read.
        if (auto sent = connection_->exec_within("", timeout_, "the change check"); !sent) {
            connection_.reset();
            return std::move(sent).error();
        }
        while (PGnotify* n = PQnotifies(conn)) {
            // Other schemas of the database (other applications, other test runs) announce on
            // the same channel: only this one's changes matter here.
            if (n->extra && schema_name_ == n->extra) ++version_;
            PQfreemem(n);
        }
        return version_;
    }

    Result<void> connect()
    {
        auto opened = Connection::open(conninfo_, schema_);
        if (!opened) return std::move(opened).error();
        if (auto ok = (*opened)->exec(std::string("LISTEN ") + detail::postgres::change_channel, "listen"); !ok)
            return ok;
        // The schema the tables are in (the triggers announce it): the configured one, or the
        // first of the search path.
        auto current = (*opened)->run("SELECT current_schema()", {}, "current schema");
        if (!current) return std::move(current).error();
        schema_name_ = current->text(0, 0);
        connection_ = std::move(*opened);
        ++version_;  // whatever changed while not listening
        return {};
    }

    const std::string conninfo_;
    const std::string schema_;
    const std::chrono::milliseconds timeout_;
    // Answers made once: giving them cannot fail for want of memory.
    const Result<std::uint64_t> closing_ = fail(Errc::storage_failure, "the store is closing");
    const Result<std::uint64_t> unsure_ = fail(Errc::storage_failure, "the change check failed");
    // The listener thread's own (before it starts: `start`'s).
    std::string schema_name_;  ///< as the triggers name it
    std::unique_ptr<Connection> connection_;
    std::chrono::steady_clock::time_point last_attempt_{};
    std::uint64_t version_ = 0;
    // Shared with the looks.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Answer> waiting_;
    bool stopping_ = false;
    std::thread thread_;
};

// The thread-safe store: each call borrows a connection for its duration; a broken connection
// is dropped and replaced on the next call. No call waits for a connection longer than the
// wait timeout: it fails (503) instead.
class PooledStore final : public detail::LendingStore<PooledStore> {
public:
    PooledStore(std::string conninfo, PostgresOptions options)
        : conninfo_(std::move(conninfo)),
          options_(std::move(options)),
          listener_(conninfo_, options_.schema, options_.wait_timeout),
          pool_(conninfo_, options_.schema, options_.max_connections, options_.wait_timeout)
    {
    }

    Result<void> start()
    {
        if (auto ok = detail::postgres::create_schema(conninfo_, options_.schema); !ok) return ok;
        auto first = Connection::open(conninfo_, options_.schema);
        if (!first) return std::move(first).error();
        if (auto ok = detail::postgres::migrate(**first); !ok) return ok;
        pool_.give(std::move(*first));
        return listener_.start();
    }

    Result<std::uint64_t> data_version() override { return listener_.version(); }
    bool data_version_waits() const override { return true; }
    void async_data_version(std::function<void(const Result<std::uint64_t>&)> then) override
    {
        listener_.async_version(std::move(then));
    }

private:
    friend class detail::LendingStore<PooledStore>;

    // Runs `call` on a store bound to a borrowed connection. Reads and writes share the pool:
    // PostgreSQL never makes a reader wait for a writer.
    template <class Call>
    auto lend(Call call, bool /*writes*/) -> decltype(call(std::declval<UserStore&>()))
    {
        return pool_.with([&](Connection& connection) {
            ConnectionStore store(connection);
            return call(store);
        });
    }

    std::string conninfo_;
    PostgresOptions options_;
    ChangeListener listener_;
    detail::postgres::ConnectionPool pool_;
};

}  // namespace

Result<std::unique_ptr<UserStore>> open_postgres_store(const std::string& conninfo, PostgresOptions options)
{
    if (options.max_connections == 0) options.max_connections = 1;
    auto store = std::make_unique<PooledStore>(conninfo, std::move(options));
    if (auto ok = store->start(); !ok) return std::move(ok).error();
    return std::unique_ptr<UserStore>(std::move(store));
}

}  // namespace usermgmt
