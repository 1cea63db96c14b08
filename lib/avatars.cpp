#include "avatars.hpp"

namespace usermgmt::detail {

void Avatars::check(std::string_view bytes, FieldErrors& errors) const
{
    if (!media_) errors.add("avatar", Reason::uploads_disabled);
    else if (bytes.empty()) errors.add("avatar", Reason::empty_file);  // Django's words for it
    else if (bytes.size() > config_.max_avatar_bytes)
        errors.add("avatar", Reason::file_too_large, static_cast<long long>(config_.max_avatar_bytes));
    else if (!detect_image_type(bytes)) errors.add("avatar", Reason::not_an_image);
}

Result<std::string> Avatars::store(std::string_view bytes) const
{
    const auto type = detect_image_type(bytes);
    if (!media_ || !type) return fail(Errc::internal, "Avatars::store without a checked image");
    return media_->put("avatars", file_extension(*type), bytes);
}

void Avatars::drop(const User& before, const User& after) const
{
    if (!media_ || !before.avatar_is_media) return;
    if (after.avatar_is_media && after.avatar == before.avatar) return;
    (void)media_->remove(before.avatar);
}

void Avatars::discard(const std::string& key) const
{
    if (media_) (void)media_->remove(key);
}

}  // namespace usermgmt::detail
