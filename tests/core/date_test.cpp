#include "usermgmt/types.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt;

TEST_CASE("Dates parse in ISO and DD-MM-YYYY forms", "[date]")
{
    CHECK(Date::parse_iso("2000-01-31") == Date{2000, 1, 31});
    CHECK(Date::parse_dmy("01-01-2000") == Date{2000, 1, 1});
    CHECK(Date::parse_iso("2024-02-29"));
    CHECK(Date::parse_iso("2000-02-29"));
    CHECK(Date{2000, 1, 2}.to_iso() == "2000-01-02");
}

TEST_CASE("Impossible or malformed dates are refused", "[date]")
{
    for (const char* bad : {"2023-02-29", "1900-02-29", "2000-13-01", "2000-00-10", "2000-04-31", "0000-01-01",
                            "2000-1-01", "20000-01-01", "2000/01/01", "", "abcd-ef-gh", "2000-01-01T00", " 2000-01-01"})
        CHECK_FALSE(Date::parse_iso(bad));
    for (const char* bad : {"31-02-2000", "01-13-2000", "1-1-2000", "2000-01-01", "01-01-200a"})
        CHECK_FALSE(Date::parse_dmy(bad));
}

TEST_CASE("Date::from_time takes the UTC calendar day", "[date]")
{
    const auto t = std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} + std::chrono::hours(23);
    CHECK(Date::from_time(t) == Date{2026, 11, 21});
}
