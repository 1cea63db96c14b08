// The /users style's dispatch, as Express routes by default: case-insensitive paths, an optional
// trailing slash, and a request that no route's method takes falls through to 405.
#include "common/style.hpp"
#include "common/text.hpp"
#include "users/routes.hpp"
#include "users/wire.hpp"

namespace usermgmt::http::detail {
namespace {

namespace bhttp = boost::beast::http;

class UsersStyle final : public Style {
public:
    UsersStyle(const UserService& service, const HttpSettings& settings)
        : service_(service), settings_(settings), routes_(users_routes())
    {
    }

    bool owns(std::string_view path) const override
    {
        const std::string_view prefix = settings_.users_prefix;
        if (path.size() < prefix.size() || !iequals(path.substr(0, prefix.size()), prefix)) return false;
        return path.size() == prefix.size() || path[prefix.size()] == '/';
    }

    Response message(unsigned status, std::string_view text, const Request& request) const override
    {
        return users::message(status, text, request);
    }

    Column column() const override { return Column::users; }
    std::string_view name() const override { return "users"; }

    std::vector<std::pair<std::string, const Route*>> routes() const override
    {
        std::vector<std::pair<std::string, const Route*>> out;
        for (const auto& route : routes_.routes()) {
            const std::string pattern = route.pattern();
            out.emplace_back(settings_.users_prefix + (pattern.empty() ? "" : "/" + pattern), &route);
        }
        return out;
    }

    Resolved resolve(std::shared_ptr<const Request> request, const Peer& peer) const override
    {
        std::vector<std::string> params;
        const Route* route = locate(path_of(request->target()), params);
        if (!route) return answer(users::message(404, "Not found", *request));
        return on_route(decide(*route, std::move(request), peer, std::move(params)), route);
    }

    const Endpoint* endpoint_of(bhttp::verb method, std::string_view path) const override
    {
        std::vector<std::string> params;
        const Route* route = locate(path, params);
        return route ? endpoint_for(*route, method) : nullptr;
    }

private:
    // What a request to a matched route gets: its endpoint, or 405, or 401.
    Resolved decide(const Route& matched, std::shared_ptr<const Request> request, const Peer& peer,
                    std::vector<std::string> params) const
    {
        const Route* route = &matched;

        const Endpoint* endpoint = endpoint_for(*route, request->method());
        if (!endpoint) {
            auto response = request->method() == bhttp::verb::options ? empty_response(204, *request)
                                                                       : users::message(405, "Method not allowed", *request);
            response.set(bhttp::field::allow, route->allow());
            return answer(std::move(response));
        }
        std::optional<Principal> principal;
        if (endpoint->needs_auth) {
            auto authentication = users::authenticate(*request, service_);
            if (authentication.failure) return answer(std::move(*authentication.failure));
            principal = std::move(authentication.principal);
        } else if (users::token_of(*request)) {
            // An open endpoint with a token: a staff caller may register users with groups.
            if (auto who = service_.authenticate(*users::token_of(*request))) principal = std::move(*who);
        }
        return endpoint_call(Dispatch{endpoint, std::move(request), peer, std::move(params), std::move(principal),
                                      users::error_for, nullptr},
                             service_, settings_);
    }

    // The route of a path under the prefix (any case, an optional trailing slash), with its parameters.
    const Route* locate(std::string_view path, std::vector<std::string>& params) const
    {
        std::string_view relative = path.substr(settings_.users_prefix.size());
        if (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
        if (!relative.empty() && relative.back() == '/') relative.remove_suffix(1);
        return routes_.match(relative, params);
    }

    const UserService& service_;
    const HttpSettings& settings_;
    RouteTable routes_;
};

}  // namespace

std::unique_ptr<Style> make_users_style(const UserService& service, const HttpSettings& settings)
{
    return std::make_unique<UsersStyle>(service, settings);
}

}  // namespace usermgmt::http::detail
