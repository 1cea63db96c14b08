// The /auth style's dispatch, as Django + DRF route: trailing-slash redirects, authentication
// before method checks on the users routes, jwt routes open to all, the API root.
#include "auth/routes.hpp"
#include "auth/wire.hpp"
#include "common/style.hpp"
#include "common/text.hpp"

namespace usermgmt::http::detail {
namespace {

namespace bhttp = boost::beast::http;

class AuthStyle final : public Style {
public:
    AuthStyle(const UserService& service, const HttpSettings& settings)
        : service_(service), settings_(settings), users_(auth_users_routes()), jwt_(auth_jwt_routes())
    {
    }

    bool owns(std::string_view path) const override
    {
        const std::string_view prefix = settings_.auth_prefix;
        return path.substr(0, prefix.size()) == prefix || path == prefix.substr(0, prefix.size() - 1);
    }

    Response message(unsigned status, std::string_view text, const Request& request) const override
    {
        return detail_response(status, text, request);
    }

    Column column() const override { return Column::auth; }
    std::string_view name() const override { return "auth"; }

    std::vector<std::pair<std::string, const Route*>> routes() const override
    {
        std::vector<std::pair<std::string, const Route*>> out;
        for (const auto& [name, route] : jwt_) out.emplace_back(settings_.auth_prefix + name, &route);
        for (const auto& route : users_.routes()) out.emplace_back(settings_.auth_prefix + route.pattern(), &route);
        return out;
    }

    Resolved resolve(std::shared_ptr<const Request> request, const Peer& peer) const override
    {
        const std::string_view target = request->target();
        const std::string_view path = path_of(target);
        const std::string_view prefix = settings_.auth_prefix;
        if (path.size() < prefix.size()) return answer(redirect(std::string(prefix), target, *request));
        const std::string_view relative = path.substr(prefix.size());
        const auto method = request->method() == bhttp::verb::head ? bhttp::verb::get : request->method();

        std::vector<std::string> params;
        const auto [route, jwt] = locate(relative, params);
        if (jwt) return on_route(dispatch(*route, method, std::move(request), peer, {}, std::nullopt, false), route);

        if (relative.empty()) return api_root(method, *request);

        if (!route) {
            // Django's APPEND_SLASH: redirect when the slashed path exists.
            std::vector<std::string> ignored;
            if (!relative.empty() && relative.back() != '/' && users_.match(std::string(relative) + "/", ignored))
                return answer(redirect(std::string(path) + "/", target, *request));
            return answer(detail_response(404, "Not found.", *request));
        }

        // DRF authenticates every users request that carries credentials, even on open endpoints.
        auto authentication = auth::authenticate(*request, service_);
        if (authentication.failure) return on_route(answer(with_allow(std::move(*authentication.failure), *route)), route);
        return on_route(dispatch(*route, method, std::move(request), peer, std::move(params),
                                 std::move(authentication.principal), true),
                        route);
    }

    const Endpoint* endpoint_of(bhttp::verb method, std::string_view path) const override
    {
        const std::string_view prefix = settings_.auth_prefix;
        if (path.size() < prefix.size()) return nullptr;
        std::vector<std::string> params;
        const Route* route = locate(path.substr(prefix.size()), params).route;
        return route ? endpoint_for(*route, method) : nullptr;
    }

private:
    struct Located {
        const Route* route = nullptr;
        bool jwt = false;  ///< a jwt route: open to all, no authentication first
    };

    // The route of a path below the prefix, with its parameters; null when none.
    Located locate(std::string_view relative, std::vector<std::string>& params) const
    {
        // simplejwt's routes are unanchored regexes (^jwt/create/?): anything after still matches.
        for (const auto& [name, route] : jwt_)
            if (relative.substr(0, name.size()) == name) return {&route, true};
        return {users_.match(relative, params), false};
    }

    static Response with_allow(Response response, const Route& route)
    {
        response.set(bhttp::field::allow, route.allow());
        return response;
    }

    static Response redirect(std::string location, std::string_view target, const Request& request)
    {
        const auto query = query_of(target);
        if (!query.empty()) {
            location += '?';
            location += query;
        }
        return append_slash_redirect(std::move(location), request);
    }

    Resolved api_root(bhttp::verb method, const Request& request) const
    {
        // Made once: its Allow header is a string built when an endpoint is set.
        static const Route root = [] {
            Route r;
            r.set(bhttp::verb::get, {});
            return r;
        }();
        // A DRF view too: credentials it carries are checked before anything else, any method.
        auto authentication = auth::authenticate(request, service_);
        if (authentication.failure) return answer(with_allow(std::move(*authentication.failure), root));
        if (method == bhttp::verb::options) return answer(with_allow(empty_response(200, request), root));
        if (method != bhttp::verb::get)
            return answer(with_allow(not_allowed(request), root));
        std::string host(request[bhttp::field::host]);
        if (host.empty()) host = "localhost";
        return answer(with_allow(
            json_response(200, boost::json::object{{"users", "http://" + host + settings_.auth_prefix + "users/"}}, request),
            root));
    }

    static Response not_allowed(const Request& request)
    {
        return detail_response(405, "Method \"" + std::string(request.method_string()) + "\" not allowed.", request);
    }

    Resolved dispatch(const Route& route, bhttp::verb method, std::shared_ptr<const Request> request, const Peer& peer,
                      std::vector<std::string> params, std::optional<Principal> principal,
                      bool permission_first) const
    {
        const auto found = route.endpoints.find(method);
        if (method == bhttp::verb::options || found == route.endpoints.end()) {
            // On the users routes the permission check comes first: no token, no 405.
            if (permission_first && !principal) return answer(with_allow(auth::not_authenticated(*request), route));
            if (method == bhttp::verb::options) return answer(with_allow(empty_response(200, *request), route));
            return answer(with_allow(not_allowed(*request), route));
        }
        const Endpoint& endpoint = found->second;
        if (endpoint.needs_auth && !principal) return answer(with_allow(auth::not_authenticated(*request), route));

        return endpoint_call(Dispatch{&endpoint, std::move(request), peer, std::move(params), std::move(principal),
                                      auth::error_for, &route},
                             service_, settings_);
    }

    const UserService& service_;
    const HttpSettings& settings_;
    RouteTable users_;
    std::vector<std::pair<std::string, Route>> jwt_;
};

}  // namespace

std::unique_ptr<Style> make_auth_style(const UserService& service, const HttpSettings& settings)
{
    return std::make_unique<AuthStyle>(service, settings);
}

}  // namespace usermgmt::http::detail
