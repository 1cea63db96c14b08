#pragma once
// Users, groups and mails as JSON (for --json output and the export format) and as text lines.

#include <usermgmt/usermgmt.hpp>

#include <boost/json.hpp>

#include <optional>
#include <string>

namespace usermgmt::admin {

/// "2026-11-30T09:15:02.123456Z"; and back (nullopt when malformed).
std::string time_text(TimePoint t);
std::optional<TimePoint> parse_time(std::string_view text);
/// A UTC time as other systems write it: "2026-11-30 09:15:02", with 'T' or ' ', up to six
/// decimals, and "Z", "+00:00", "+00" or nothing after it (Django on SQLite writes UTC bare).
std::optional<TimePoint> parse_utc_time(std::string_view text);

/// Every field of a user but the password hash.
boost::json::object user_json(const User& user);
/// One line of `users list`: id, username, email, state, groups.
std::string user_line(const User& user);

boost::json::object mail_json(const QueuedMail& mail);

}  // namespace usermgmt::admin
