#include "common/endpoints.hpp"

#include <charconv>

namespace usermgmt::http::detail {

std::optional<UserId> parse_user_id(std::string_view text) noexcept
{
    UserId id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
    return id;
}

std::optional<std::vector<std::string>> string_list(const boost::json::value& value)
{
    if (!value.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& item : value.as_array()) {
        if (!item.is_string()) return std::nullopt;
        out.emplace_back(item.as_string());
    }
    return out;
}

boost::json::value avatar_value(const User& user, const HttpSettings& settings)
{
    if (user.avatar.empty()) return nullptr;
    return boost::json::value(user.avatar_is_media ? settings.media_url + user.avatar : user.avatar);
}

}  // namespace usermgmt::http::detail
