#include "user_json.hpp"

#include <ctime>
#include <cstdio>

namespace usermgmt::admin {

std::string time_text(TimePoint t)
{
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000 - (micros % 1'000'000 < 0 ? 1 : 0));
    const long fraction = static_cast<long>(micros - std::int64_t{seconds} * 1'000'000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[64];  // room for any year and fraction the types allow
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
    return text;
}

std::optional<TimePoint> parse_time(std::string_view text)
{
    // Exactly the shape time_text writes.
    if (text.size() != 27 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != '.' || text[26] != 'Z')
        return std::nullopt;
    const auto number = [&](std::size_t at, std::size_t length) -> std::optional<long> {
        long value = 0;
        for (std::size_t i = at; i < at + length; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    const auto year = number(0, 4), month = number(5, 2), day = number(8, 2), hour = number(11, 2),
               minute = number(14, 2), second = number(17, 2), micros = number(20, 6);
    if (!year || !month || !day || !hour || !minute || !second || !micros) return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    std::tm tm{};
    tm.tm_year = static_cast<int>(*year - 1900);
    tm.tm_mon = static_cast<int>(*month - 1);
    tm.tm_mday = static_cast<int>(*day);
    tm.tm_hour = static_cast<int>(*hour);
    tm.tm_min = static_cast<int>(*minute);
    tm.tm_sec = static_cast<int>(*second);
    const std::time_t seconds = timegm(&tm);
    return TimePoint(std::chrono::seconds(seconds)) + std::chrono::microseconds(*micros);
}

namespace {

boost::json::value optional_time(const std::optional<TimePoint>& t)
{
    if (!t) return nullptr;
    return boost::json::string(time_text(*t));
}

}  // namespace

std::optional<TimePoint> parse_utc_time(std::string_view text)
{
    if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ')) return std::nullopt;
    std::string strict(text.substr(0, 19));
    strict[10] = 'T';
    text.remove_prefix(19);
    std::string fraction;
    if (!text.empty() && text.front() == '.') {
        text.remove_prefix(1);
        while (!text.empty() && text.front() >= '0' && text.front() <= '9' && fraction.size() < 6) {
            fraction += text.front();
            text.remove_prefix(1);
        }
        if (fraction.empty()) return std::nullopt;
    }
    if (text != "" && text != "Z" && text != "+00:00" && text != "+00") return std::nullopt;
    fraction.resize(6, '0');
    return parse_time(strict + "." + fraction + "Z");
}

boost::json::object user_json(const User& u)
{
    boost::json::array groups;
    for (const auto& g : u.groups) groups.emplace_back(g);
    return {
        {"id", u.id},
        {"username", u.username},
        {"email", u.email},
        {"first_name", u.first_name},
        {"last_name", u.last_name},
        {"birthdate", u.birthdate ? boost::json::value(u.birthdate->to_iso()) : boost::json::value(nullptr)},
        {"avatar", u.avatar},
        {"avatar_is_media", u.avatar_is_media},
        {"is_active", u.is_active},
        {"is_staff", u.is_staff},
        {"is_superuser", u.is_superuser},
        {"disabled", u.disabled},
        {"groups", std::move(groups)},
        {"date_joined", time_text(u.date_joined)},
        {"updated_at", time_text(u.updated_at)},
        {"last_login", optional_time(u.last_login)},
        {"activated_at", optional_time(u.activated_at)},
    };
}

std::string user_line(const User& u)
{
    std::string state = u.is_active ? "active" : (u.disabled ? "deactivated" : "not activated");
    if (u.is_superuser) state += ", superuser";
    else if (u.is_staff) state += ", staff";
    std::string groups;
    for (const auto& g : u.groups) groups += (groups.empty() ? "" : ",") + g;
    return std::to_string(u.id) + "\t" + u.username + "\t" + u.email + "\t" + state +
           (groups.empty() ? "" : "\tgroups: " + groups);
}

boost::json::object mail_json(const QueuedMail& m)
{
    return {
        {"id", m.id},
        {"state", m.state == MailState::dead ? "dead" : "queued"},
        {"kind", std::string(to_string(m.kind))},
        {"user_id", m.user_id},
        {"to", m.message.to},
        {"subject", m.message.subject},
        {"attempts", m.attempts},
        {"created_at", time_text(m.created_at)},
        {"next_attempt_at", time_text(m.next_attempt_at)},
        {"expires_at", time_text(m.expires_at)},
        {"leased_until", optional_time(m.leased_until)},
        {"last_error", m.last_error},
    };
}

}  // namespace usermgmt::admin
