#pragma once
// The /users style's endpoints, relative to its prefix (matched in any case, as Express does).

#include "common/routing.hpp"

namespace usermgmt::http::detail {

RouteTable users_routes();

}  // namespace usermgmt::http::detail
