#pragma once
// The /auth style's endpoints: each reads its fields, calls one UserService method and maps the
// result. Paths are relative to the style's prefix.

#include "common/routing.hpp"

#include <string>
#include <utility>
#include <vector>

namespace usermgmt::http::detail {

/// users/, users/me/, users/{id}/, users/activation/, ... (djoser.urls)
RouteTable auth_users_routes();
/// jwt/create, jwt/refresh, jwt/verify (djoser.urls.jwt), matched as prefixes.
std::vector<std::pair<std::string, Route>> auth_jwt_routes();

}  // namespace usermgmt::http::detail
