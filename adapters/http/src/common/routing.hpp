#pragma once
// What a route style needs to answer a request: the call context, endpoints, and a table that
// matches paths with `{}` parameters.

#include "common/request_body.hpp"
#include "usermgmt/http/message.hpp"
#include "usermgmt/http/settings.hpp"
#include "usermgmt/user_service.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace usermgmt::http::detail {

/// Everything an endpoint sees.
struct Call {
    Call(const Request& r, const Peer& p, const UserService& s, const HttpSettings& st, std::vector<std::string> ps,
         std::optional<Principal> who)
        : request(r), peer(p), service(s), settings(st), params(std::move(ps)), principal(std::move(who))
    {
    }

    const Request& request;
    const Peer& peer;
    const UserService& service;
    const HttpSettings& settings;
    std::vector<std::string> params;      ///< the `{}` segments of the path
    std::optional<Principal> principal;   ///< set when the request carried a valid token

    /// The parsed body, parsed once.
    const std::variant<Body, BodyProblem>& body();
    /// The client's address: the socket peer, or what a trusted proxy forwarded.
    std::string client() const;

private:
    std::optional<std::variant<Body, BodyProblem>> body_;
};

/// What an endpoint costs, which decides where it runs.
enum class Cost {
    ordinary,         ///< a read (at once) or a write (on the store pool)
    hashes_password,  ///< hashes or checks a password: on the hashing pool
};

/// What a throttled operation counts: its kind of attempt, and the body field that names the
/// account (empty: none; a login counts the account it resolves in the core).
struct Throttling {
    UserService::Attempt attempt;
    std::string_view account_field;
};

/// One verb of one route.
struct Endpoint {
    std::function<Response(Call&)> run;
    bool needs_auth = false;  ///< 401 without a valid token
    Cost cost = Cost::ordinary;
    bool takes_file = false;  ///< accepts an uploaded file: a multipart body may be as large as max_upload_bytes
    /// Counted against `Config::throttle` before anything else runs; 429 past the limit.
    std::optional<Throttling> throttling;
};

/// A path pattern (`users/{}/`) and its endpoints.
struct Route {
    std::vector<std::string> segments;  ///< "{}" matches any one non-empty segment
    bool trailing_slash = false;
    std::map<boost::beast::http::verb, Endpoint> endpoints;

    /// Sets the endpoint of `verb` and remakes the Allow header: the one way endpoints are added.
    void set(boost::beast::http::verb verb, Endpoint endpoint);
    /// The Allow header: the methods in DRF's order, HEAD with GET, and OPTIONS. Made when an
    /// endpoint is set (every answer of the /auth style carries it).
    [[nodiscard]] const std::string& allow() const noexcept { return allow_header; }
    std::string allow_header;
    /// The pattern as written in the table ("users/{}/"), for metrics.
    [[nodiscard]] std::string pattern() const;
    /// Whether `verb` on this route is a login (counted as one in /metrics).
    [[nodiscard]] bool logs_in() const;
};

class RouteTable {
public:
    /// `case_insensitive`: literal segments match in any case (Express's default routing).
    explicit RouteTable(bool case_insensitive = false) : case_insensitive_(case_insensitive) {}
    /// Adds `verb` on `pattern` (relative to the style's prefix, e.g. "users/{}/").
    void add(std::string_view pattern, boost::beast::http::verb verb, Endpoint endpoint);
    /// The route matching `path`, with its parameters.
    [[nodiscard]] const Route* match(std::string_view path, std::vector<std::string>& params) const;
    /// Every route, in the order added (tests hold the tables against docs/openapi.json).
    [[nodiscard]] const std::vector<Route>& routes() const noexcept { return routes_; }

private:
    std::vector<Route> routes_;
    bool case_insensitive_;
};

/// An endpoint open to all, and one that needs a valid token.
inline Endpoint open_endpoint(Response (*run)(Call&), Cost cost = Cost::ordinary)
{
    Endpoint endpoint;
    endpoint.run = run;
    endpoint.cost = cost;
    return endpoint;
}
inline Endpoint authenticated_endpoint(Response (*run)(Call&), Cost cost = Cost::ordinary)
{
    Endpoint endpoint = open_endpoint(run, cost);
    endpoint.needs_auth = true;
    return endpoint;
}

/// `endpoint`, accepting a file upload (an avatar): its multipart bodies get the upload limit.
inline Endpoint taking_file(Endpoint endpoint)
{
    endpoint.takes_file = true;
    return endpoint;
}

/// `endpoint`, counted as `attempt` of the client (and of the account its body's `account_field`
/// names) before it runs: declared once per operation in the route table, so no endpoint can
/// forget it, and counted the same way on every route.
inline Endpoint throttled(UserService::Attempt attempt, std::string_view account_field, Endpoint endpoint)
{
    endpoint.throttling = Throttling{attempt, account_field};
    return endpoint;
}

/// The endpoint of `route` for `method` (HEAD is GET's), or null.
const Endpoint* endpoint_for(const Route& route, boost::beast::http::verb method);

/// Where a decided request runs.
enum class Work {
    now,      ///< on the calling (I/O) thread: answers already made, and reads (WAL never blocks them)
    store,    ///< on the store pool: writes, which may wait on a locked database
    hashing,  ///< on the hashing pool: anything that hashes a password
};

/// What a style decided: an endpoint to run, and where.
struct Resolved {
    std::function<Response()> run;
    Work work = Work::now;
    /// The route the request matched, when one did (its answer is counted under it in /metrics).
    const Route* route = nullptr;
};

/// `resolved` counted under `route`.
inline Resolved on_route(Resolved resolved, const Route* route)
{
    resolved.route = route;
    return resolved;
}

/// A decision that is already an answer.
Resolved answer(Response response);

/// A style's answer for a core error.
using ErrorAnswer = Response (*)(Error, const Call&);

/// What a style decided to run: the endpoint and the request's context.
struct Dispatch {
    const Endpoint* endpoint = nullptr;
    std::shared_ptr<const Request> request;
    Peer peer;
    std::vector<std::string> params;
    std::optional<Principal> principal;
    ErrorAnswer error_answer = nullptr;  ///< renders the 429 of a throttled endpoint
    const Route* allow = nullptr;        ///< when set, every answer carries its Allow header
};

/// The client's address: the socket peer, or what a trusted proxy forwarded (normalised).
std::string client_address(const Request& request, const Peer& peer, const HttpSettings& settings);

/// The call of a dispatched endpoint: its attempt counted first when it is throttled, then the
/// endpoint. Hashing endpoints go to the hashing pool, the other methods that change state to
/// the store pool, reads run at once.
Resolved endpoint_call(Dispatch dispatch, const UserService& service, const HttpSettings& settings);

}  // namespace usermgmt::http::detail
