#include "usermgmt/uid.hpp"

#include "crypto.hpp"

#include <charconv>

namespace usermgmt {

std::string encode_uid(UserId id)
{
    return detail::base64url_encode(std::to_string(id));
}

std::optional<UserId> decode_uid(std::string_view uid)
{
    std::string digits;
    if (uid.empty() || uid.size() > 32 || !detail::base64url_decode(uid, digits)) return std::nullopt;
    UserId id = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size() || id <= 0) return std::nullopt;
    return id;
}

}  // namespace usermgmt
