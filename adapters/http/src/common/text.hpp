#pragma once
// Small text helpers shared by the adapter's parsers.

#include <string>
#include <string_view>

namespace usermgmt::http::detail {

/// Without leading and trailing spaces, tabs, CR and LF.
std::string_view trim_ascii(std::string_view s) noexcept;
/// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;
/// Decodes %XX escapes and, when `plus_is_space`, '+' (form encoding). Invalid escapes stay as
/// they are, as Python's unquote leaves them.
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace usermgmt::http::detail
