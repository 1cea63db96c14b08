#pragma once
// A route style: a set of paths under a prefix, with its own wire format.

#include "common/error_status.hpp"
#include "common/routing.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <string_view>

namespace usermgmt::http::detail {

class Style {
public:
    virtual ~Style() = default;
    /// True when `path` is under this style's prefix.
    [[nodiscard]] virtual bool owns(std::string_view path) const = 0;
    /// Routes, authenticates and decides: an answer, or an endpoint to run.
    [[nodiscard]] virtual Resolved resolve(std::shared_ptr<const Request> request, const Peer& peer) const = 0;
    /// The endpoint a request with `method` to `path` runs, or null (no route, no such method,
    /// a redirect), without authenticating: enough to choose its body limit before the body is read.
    [[nodiscard]] virtual const Endpoint* endpoint_of(boost::beast::http::verb method, std::string_view path) const = 0;
    /// A plain error in the style's format (413, 500).
    [[nodiscard]] virtual Response message(unsigned status, std::string_view text, const Request& request) const = 0;
    /// Which column of the error table the style answers with.
    [[nodiscard]] virtual Column column() const = 0;
    /// The style's name in metrics ("auth", "users").
    [[nodiscard]] virtual std::string_view name() const = 0;
    /// Every route with its full path pattern under the prefix ("/auth/users/{}/"), for metrics.
    [[nodiscard]] virtual std::vector<std::pair<std::string, const Route*>> routes() const = 0;
    /// A plain error for a condition of `code` (full queues: `storage_failure`), its status and
    /// Retry-After from the error table.
    [[nodiscard]] Response condition(Errc code, std::string_view text, const Request& request) const
    {
        return with_status(message(500, text, request), code, column());
    }
};

/// The Djoser-compatible style (auth_style.cpp).
std::unique_ptr<Style> make_auth_style(const UserService& service, const HttpSettings& settings);
/// The Express-style /users routes (users_style.cpp).
std::unique_ptr<Style> make_users_style(const UserService& service, const HttpSettings& settings);

}  // namespace usermgmt::http::detail
