#pragma once
// The mail queue's statements on one PostgreSQL connection (the store port's mail calls).

#include "usermgmt/mail_queue.hpp"
#include "usermgmt/result.hpp"

#include "connection.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace usermgmt::detail::postgres::mail_rows {

Result<MailId> put(Connection& c, const QueuedMail& mail);
Result<std::vector<QueuedMail>> claim(Connection& c, TimePoint now, TimePoint lease_until, std::size_t limit);
Result<void> erase(Connection& c, MailId id, std::optional<TimePoint> held_until);
Result<void> defer(Connection& c, MailId id, TimePoint held_until, TimePoint next_attempt, std::string_view reason);
Result<void> bury(Connection& c, MailId id, std::optional<TimePoint> held_until, std::string_view reason);
Result<MailQueueCounts> count(Connection& c, TimePoint now);
Result<std::vector<QueuedMail>> list(Connection& c, MailState state, std::size_t limit);
Result<QueuedMail> find(Connection& c, MailId id);

}  // namespace usermgmt::detail::postgres::mail_rows
