#include "mail_rows.hpp"

#include <algorithm>
#include <functional>

namespace usermgmt::detail::sqlite::mail_rows {
namespace {

// The columns every read takes, bodies last (list and find leave them out).
const std::string head_columns =
    "id, state, kind, user_id, origin, sender, recipient, reply_to, subject, attempts, created_at, "
    "next_attempt_at, expires_at, leased_until, last_error";

QueuedMail read_mail(const Statement& s, bool with_bodies)
{
    QueuedMail m;
    m.id = s.integer(0);
    m.state = s.integer(1) == 0 ? MailState::queued : MailState::dead;
    m.kind = static_cast<NotificationKind>(s.integer(2));
    m.user_id = s.integer(3);
    m.origin = s.text(4);
    m.message.from = s.text(5);
    m.message.to = s.text(6);
    m.message.reply_to = s.text(7);
    m.message.subject = s.text(8);
    m.attempts = static_cast<int>(s.integer(9));
    m.created_at = from_micros(s.integer(10));
    m.next_attempt_at = from_micros(s.integer(11));
    m.expires_at = from_micros(s.integer(12));
    if (!s.is_null(13)) m.leased_until = from_micros(s.integer(13));
    m.last_error = s.text(14);
    if (with_bodies) {
        m.message.body = s.text(15);
        m.message.html = s.text(16);
    }
    return m;
}

Result<std::vector<QueuedMail>> read_all(Statement& s, bool with_bodies, std::string_view what)
{
    std::vector<QueuedMail> out;
    while (true) {
        auto next = s.next(what);
        if (!next) return std::move(next).error();
        if (!*next) return out;
        out.push_back(read_mail(s, with_bodies));
    }
}

Result<void> change_one(Connection& c, const std::string& sql, MailId id, std::string_view what,
                        const std::function<void(Statement&)>& bind = {})
{
    auto s = c.prepare(sql);
    if (!s) return std::move(s).error();
    s->bind(1, id);
    if (bind) bind(*s);
    if (auto ok = s->run(what); !ok) return ok;
    if (c.changes() == 0) return fail(Errc::not_found, std::string(what) + ": no such mail");
    return {};
}

}  // namespace

Result<MailId> put(Connection& c, const QueuedMail& m)
{
    auto s = c.prepare(
        "INSERT INTO mail_queue (kind, user_id, origin, sender, recipient, reply_to, subject, text_body, html_body, "
        "created_at, next_attempt_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!s) return std::move(s).error();
    s->bind(1, static_cast<std::int64_t>(m.kind))
        .bind(2, m.user_id)
        .bind(3, m.origin)
        .bind(4, m.message.from)
        .bind(5, m.message.to)
        .bind(6, m.message.reply_to)
        .bind(7, m.message.subject)
        .bind(8, m.message.body)
        .bind(9, m.message.html)
        .bind(10, to_micros(m.created_at))
        .bind(11, to_micros(m.next_attempt_at))
        .bind(12, to_micros(m.expires_at));
    if (auto ok = s->run("queue mail"); !ok) return std::move(ok).error();
    return c.last_insert_id();
}

Result<std::vector<QueuedMail>> claim(Connection& c, TimePoint now, TimePoint lease_until, std::size_t limit)
{
    // One statement: the write lock it takes makes two claimers on one file take turns, and
    // the second no longer sees the first one's rows as free.
    auto s = c.prepare("UPDATE mail_queue SET leased_until = ?2 WHERE id IN (SELECT id FROM mail_queue "
                       "WHERE state = 0 AND next_attempt_at <= ?1 AND (leased_until IS NULL OR leased_until <= ?1) "
                       "ORDER BY next_attempt_at, id LIMIT ?3) RETURNING " +
                       head_columns + ", text_body, html_body");
    if (!s) return std::move(s).error();
    s->bind(1, to_micros(now)).bind(2, to_micros(lease_until)).bind(3, static_cast<std::int64_t>(limit));
    auto claimed = read_all(*s, true, "claim mail");
    if (!claimed) return claimed;
    std::sort(claimed->begin(), claimed->end(), [](const QueuedMail& a, const QueuedMail& b) { return a.id < b.id; });
    return claimed;
}

// The lease condition of a sender's update (?9: the lease it holds; NULL: any).
constexpr const char* while_held = " AND (?9 IS NULL OR leased_until = ?9)";

Result<void> erase(Connection& c, MailId id, std::optional<TimePoint> held_until)
{
    return change_one(c, std::string("DELETE FROM mail_queue WHERE id = ?1") + while_held, id, "erase mail",
                      [&](Statement& s) { s.bind(9, to_micros(held_until)); });
}

Result<void> defer(Connection& c, MailId id, TimePoint held_until, TimePoint next_attempt, std::string_view reason)
{
    return change_one(c,
                      std::string("UPDATE mail_queue SET attempts = attempts + 1, leased_until = NULL, "
                                  "next_attempt_at = ?2, last_error = ?3 WHERE id = ?1 AND state = 0") +
                          while_held,
                      id, "defer mail", [&](Statement& s) {
                          s.bind(2, to_micros(next_attempt)).bind(3, reason).bind(9, to_micros(held_until));
                      });
}

Result<void> bury(Connection& c, MailId id, std::optional<TimePoint> held_until, std::string_view reason)
{
    return change_one(c,
                      std::string("UPDATE mail_queue SET state = 1, attempts = attempts + 1, leased_until = NULL, "
                                  "text_body = '', html_body = '', last_error = ?2 WHERE id = ?1") +
                          while_held,
                      id, "bury mail", [&](Statement& s) { s.bind(2, reason).bind(9, to_micros(held_until)); });
}

Result<MailQueueCounts> count(Connection& c, TimePoint now)
{
    auto s = c.prepare("SELECT count(*) FILTER (WHERE state = 0), "
                       "count(*) FILTER (WHERE state = 0 AND leased_until > ?1), "
                       "count(*) FILTER (WHERE state = 1) FROM mail_queue");
    if (!s) return std::move(s).error();
    s->bind(1, to_micros(now));
    if (auto ok = s->one("count mail", "no count"); !ok) return std::move(ok).error();
    return MailQueueCounts{static_cast<std::uint64_t>(s->integer(0)), static_cast<std::uint64_t>(s->integer(1)),
                           static_cast<std::uint64_t>(s->integer(2))};
}

Result<std::vector<QueuedMail>> list(Connection& c, MailState state, std::size_t limit)
{
    auto s = c.prepare("SELECT " + head_columns + " FROM mail_queue WHERE state = ?1 ORDER BY id LIMIT ?2");
    if (!s) return std::move(s).error();
    s->bind(1, state == MailState::queued ? 0 : 1).bind(2, static_cast<std::int64_t>(limit));
    return read_all(*s, false, "list mail");
}

Result<QueuedMail> find(Connection& c, MailId id)
{
    auto s = c.prepare("SELECT " + head_columns + " FROM mail_queue WHERE id = ?1");
    if (!s) return std::move(s).error();
    s->bind(1, id);
    if (auto ok = s->one("find mail", "no such mail"); !ok) return std::move(ok).error();
    return read_mail(*s, false);
}

}  // namespace usermgmt::detail::sqlite::mail_rows
