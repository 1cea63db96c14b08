#pragma once
/// @file uid.hpp
/// Djoser's `uid`: the user id a mail link carries beside its token, as base64url (unpadded) of
/// the id's decimal digits. The /auth route style reads it; the mailer's link templates write it
/// (`{uid}`); both use these two functions so that they agree. The core never sees a uid.

#include "usermgmt/export.hpp"
#include "usermgmt/types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace usermgmt {

/// The uid of a user id ("Mg" for 2).
[[nodiscard]] USERMGMT_EXPORT std::string encode_uid(UserId id);
/// The user id of a uid, or nullopt when it is not one.
[[nodiscard]] USERMGMT_EXPORT std::optional<UserId> decode_uid(std::string_view uid);

}  // namespace usermgmt
