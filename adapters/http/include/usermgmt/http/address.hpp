#pragma once
/// @file address.hpp
/// IP addresses as the adapter compares them (trusted proxies, X-Forwarded-For, the socket peer).

#include "usermgmt/http/export.hpp"
#include <optional>
#include <string>
#include <string_view>

namespace usermgmt::http {

/// The canonical text of an IPv4 or IPv6 address, so that one address has one spelling: IPv6
/// in its shortest lower-case form, and an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as its
/// IPv4 address (`10.0.0.1`). Surrounding spaces and tabs are ignored. nullopt for anything
/// else: a host name, a port suffix (`10.0.0.1:80`, `[::1]:80`), brackets, a prefix length.
[[nodiscard]] USERMGMT_HTTP_EXPORT std::optional<std::string> normalize_address(std::string_view text);

}  // namespace usermgmt::http
