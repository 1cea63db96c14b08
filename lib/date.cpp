#include "usermgmt/types.hpp"

#include <charconv>
#include <cstdio>

namespace usermgmt {
namespace {

// Reads exactly `width` ASCII digits.
bool read_digits(std::string_view text, std::size_t width, int& out)
{
    if (text.size() != width) return false;
    for (char c : text)
        if (c < '0' || c > '9') return false;
    std::from_chars(text.data(), text.data() + text.size(), out);
    return true;
}

}  // namespace

bool Date::is_valid() const noexcept
{
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
    static constexpr int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int last = month == 2 && leap ? 29 : days_in_month[month - 1];
    return day <= last;
}

std::optional<Date> Date::parse_iso(std::string_view text)
{
    Date d;
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    if (!read_digits(text.substr(0, 4), 4, d.year) || !read_digits(text.substr(5, 2), 2, d.month) ||
        !read_digits(text.substr(8, 2), 2, d.day))
        return std::nullopt;
    return d.is_valid() ? std::optional(d) : std::nullopt;
}

std::optional<Date> Date::parse_dmy(std::string_view text)
{
    Date d;
    if (text.size() != 10 || text[2] != '-' || text[5] != '-') return std::nullopt;
    if (!read_digits(text.substr(0, 2), 2, d.day) || !read_digits(text.substr(3, 2), 2, d.month) ||
        !read_digits(text.substr(6, 4), 4, d.year))
        return std::nullopt;
    return d.is_valid() ? std::optional(d) : std::nullopt;
}

std::string Date::to_iso() const
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return buf;
}

Date Date::from_time(TimePoint t)
{
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
    return Date{int(ymd.year()), int(unsigned(ymd.month())), int(unsigned(ymd.day()))};
}

}  // namespace usermgmt
