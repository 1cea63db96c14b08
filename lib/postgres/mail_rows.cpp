#include "mail_rows.hpp"

#include <algorithm>

namespace usermgmt::detail::postgres::mail_rows {
namespace {

// The columns every read takes, bodies last (list and find leave them out).
const std::string head_columns =
    "id, state, kind, user_id, origin, sender, recipient, reply_to, subject, attempts, created_at, "
    "next_attempt_at, expires_at, leased_until, last_error";

std::vector<QueuedMail> read_all(const Rows& rows, bool with_bodies)
{
    std::vector<QueuedMail> out;
    for (int r = 0; r < rows.size(); ++r) {
        QueuedMail m;
        m.id = rows.integer(r, 0);
        m.state = rows.integer(r, 1) == 0 ? MailState::queued : MailState::dead;
        m.kind = static_cast<NotificationKind>(rows.integer(r, 2));
        m.user_id = rows.integer(r, 3);
        m.origin = rows.text(r, 4);
        m.message.from = rows.text(r, 5);
        m.message.to = rows.text(r, 6);
        m.message.reply_to = rows.text(r, 7);
        m.message.subject = rows.text(r, 8);
        m.attempts = static_cast<int>(rows.integer(r, 9));
        m.created_at = from_micros(rows.integer(r, 10));
        m.next_attempt_at = from_micros(rows.integer(r, 11));
        m.expires_at = from_micros(rows.integer(r, 12));
        if (!rows.is_null(r, 13)) m.leased_until = from_micros(rows.integer(r, 13));
        m.last_error = rows.text(r, 14);
        if (with_bodies) {
            m.message.body = rows.text(r, 15);
            m.message.html = rows.text(r, 16);
        }
        out.push_back(std::move(m));
    }
    return out;
}

Result<void> change_one(Connection& c, const std::string& sql, const Params& params, std::string_view what)
{
    auto rows = c.run(sql, params, what);
    if (!rows) return std::move(rows).error();
    if (rows->affected() == 0) return fail(Errc::not_found, std::string(what) + ": no such mail");
    return {};
}

}  // namespace

Result<MailId> put(Connection& c, const QueuedMail& m)
{
    Params p;
    p.integer(static_cast<std::int64_t>(m.kind)).integer(m.user_id).text(m.origin);
    p.text(m.message.from).text(m.message.to).text(m.message.reply_to).text(m.message.subject);
    p.text(m.message.body).text(m.message.html);
    p.integer(to_micros(m.created_at)).integer(to_micros(m.next_attempt_at)).integer(to_micros(m.expires_at));
    auto rows = c.run(
        "INSERT INTO mail_queue (kind, user_id, origin, sender, recipient, reply_to, subject, text_body, html_body, "
        "created_at, next_attempt_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "RETURNING id",
        p, "queue mail");
    if (!rows) return std::move(rows).error();
    return rows->integer(0, 0);
}

Result<std::vector<QueuedMail>> claim(Connection& c, TimePoint now, TimePoint lease_until, std::size_t limit)
{
    // SKIP LOCKED: a sender on another node claiming at the same moment takes other rows
    // instead of waiting for these; the lease keeps them once this statement commits.
    Params p;
    p.integer(to_micros(now)).integer(to_micros(lease_until)).integer(static_cast<std::int64_t>(limit));
    auto rows = c.run("UPDATE mail_queue SET leased_until = $2 WHERE id IN (SELECT id FROM mail_queue "
                      "WHERE state = 0 AND next_attempt_at <= $1 AND (leased_until IS NULL OR leased_until <= $1) "
                      "ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING " +
                          head_columns + ", text_body, html_body",
                      p, "claim mail");
    if (!rows) return std::move(rows).error();
    auto claimed = read_all(*rows, true);
    std::sort(claimed.begin(), claimed.end(), [](const QueuedMail& a, const QueuedMail& b) { return a.id < b.id; });
    return claimed;
}

Result<void> erase(Connection& c, MailId id, std::optional<TimePoint> held_until)
{
    Params p;
    p.integer(id).optional(to_micros(held_until));
    return change_one(c, "DELETE FROM mail_queue WHERE id = $1 AND ($2::bigint IS NULL OR leased_until = $2)", p,
                      "erase mail");
}

Result<void> defer(Connection& c, MailId id, TimePoint held_until, TimePoint next_attempt, std::string_view reason)
{
    Params p;
    p.integer(id).integer(to_micros(next_attempt)).text(reason).integer(to_micros(held_until));
    return change_one(c,
                      "UPDATE mail_queue SET attempts = attempts + 1, leased_until = NULL, next_attempt_at = $2, "
                      "last_error = $3 WHERE id = $1 AND state = 0 AND leased_until = $4",
                      p, "defer mail");
}

Result<void> bury(Connection& c, MailId id, std::optional<TimePoint> held_until, std::string_view reason)
{
    Params p;
    p.integer(id).text(reason).optional(to_micros(held_until));
    return change_one(c,
                      "UPDATE mail_queue SET state = 1, attempts = attempts + 1, leased_until = NULL, "
                      "text_body = '', html_body = '', last_error = $2 WHERE id = $1 "
                      "AND ($3::bigint IS NULL OR leased_until = $3)",
                      p, "bury mail");
}

Result<MailQueueCounts> count(Connection& c, TimePoint now)
{
    Params p;
    p.integer(to_micros(now));
    auto rows = c.run("SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 0 AND leased_until > $1), "
                      "count(*) FILTER (WHERE state = 1) FROM mail_queue",
                      p, "count mail");
    if (!rows) return std::move(rows).error();
    return MailQueueCounts{static_cast<std::uint64_t>(rows->integer(0, 0)), static_cast<std::uint64_t>(rows->integer(0, 1)),
                           static_cast<std::uint64_t>(rows->integer(0, 2))};
}

Result<std::vector<QueuedMail>> list(Connection& c, MailState state, std::size_t limit)
{
    Params p;
    p.integer(state == MailState::queued ? 0 : 1).integer(static_cast<std::int64_t>(limit));
    auto rows = c.run("SELECT " + head_columns + " FROM mail_queue WHERE state = $1 ORDER BY id LIMIT $2", p, "list mail");
    if (!rows) return std::move(rows).error();
    return read_all(*rows, false);
}

Result<QueuedMail> find(Connection& c, MailId id)
{
    Params p;
    p.integer(id);
    auto rows = c.run("SELECT " + head_columns + " FROM mail_queue WHERE id = $1", p, "find mail");
    if (!rows) return std::move(rows).error();
    if (rows->empty()) return fail(Errc::not_found, "no such mail");
    return std::move(read_all(*rows, false).front());
}

}  // namespace usermgmt::detail::postgres::mail_rows
