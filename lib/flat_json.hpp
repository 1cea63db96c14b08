#pragma once
// A strict parser for flat JSON objects (string, number, boolean and null members only), as
// JWT headers and payloads are. The core stays free of a JSON library this way.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace usermgmt::detail {

using FlatJsonValue = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string>;
using FlatJsonObject = std::map<std::string, FlatJsonValue, std::less<>>;

/// Parses one JSON object whose members are all scalars. nullopt on any syntax error, a nested
/// value, a duplicate key, invalid UTF-8 escapes or trailing bytes.
std::optional<FlatJsonObject> parse_flat_json_object(std::string_view text);

/// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

}  // namespace usermgmt::detail
