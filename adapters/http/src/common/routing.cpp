#include "common/routing.hpp"

#include "common/text.hpp"
#include "usermgmt/http/address.hpp"

#include <algorithm>

namespace usermgmt::http::detail {
namespace {

std::vector<std::string> split_path(std::string_view path, bool& trailing_slash)
{
    std::vector<std::string> segments;
    trailing_slash = !path.empty() && path.back() == '/';
    while (!path.empty()) {
        const auto slash = path.find('/');
        segments.emplace_back(path.substr(0, slash));
        path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    return segments;
}

// The items of every X-Forwarded-For field in order: several fields are one list (RFC 9110 5.3),
// since a proxy may add a field of its own instead of appending to the first.
std::vector<std::string_view> forwarded_for(const Request& request)
{
    std::vector<std::string_view> items;
    const auto [first, last] = request.equal_range("X-Forwarded-For");
    for (auto field = first; field != last; ++field) {
        std::string_view rest = field->value();
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            // Empty list items are ignored, as the list rule says.
            if (const auto item = trim_ascii(rest.substr(0, comma)); !item.empty()) items.push_back(item);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
    }
    return items;
}

}  // namespace

namespace {

// The account a throttled request names: its body's `field` as text (a number as written, as
// DRF reads it); the core counts it without surrounding whitespace or case.
std::string account_of(Call& call, std::string_view field)
{
    if (field.empty()) return {};
    const auto* body = std::get_if<Body>(&call.body());
    if (!body || !body->data.is_object()) return {};
    const auto* value = body->data.as_object().if_contains(field);
    if (!value) return {};
    if (value->is_string()) return std::string(value->as_string());
    if (value->is_number()) return boost::json::serialize(*value);
    return {};
}

Response run(Dispatch& d, const UserService& service, const HttpSettings& settings)
{
    Call call{*d.request, d.peer, service, settings, std::move(d.params), std::move(d.principal)};
    const Endpoint& endpoint = *d.endpoint;
    // The core limits password checks per client too, and only endpoints that check a password
    // make them: only those work out the client's address (a token check needs none).
    if (call.principal && endpoint.cost == Cost::hashes_password) call.principal->client = call.client();
    if (endpoint.throttling) {
        const auto& throttling = *endpoint.throttling;
        auto allowed = service.throttle(throttling.attempt, call.client(), account_of(call, throttling.account_field));
        if (!allowed) return d.error_answer(std::move(allowed).error(), call);
    }
    return endpoint.run(call);
}

}  // namespace

Resolved endpoint_call(Dispatch dispatch, const UserService& service, const HttpSettings& settings)
{
    using boost::beast::http::verb;
    const verb method = dispatch.request->method();
    const bool reads = method == verb::get || method == verb::head || method == verb::options;
    const Work work = dispatch.endpoint->cost == Cost::hashes_password ? Work::hashing : reads ? Work::now : Work::store;
    auto shared = std::make_shared<Dispatch>(std::move(dispatch));
    return Resolved{[shared, &service, &settings] {
                        auto response = run(*shared, service, settings);
                        if (shared->allow) response.set(boost::beast::http::field::allow, shared->allow->allow());
                        return response;
                    },
                    work};
}

Resolved answer(Response response)
{
    auto shared = std::make_shared<Response>(std::move(response));
    return Resolved{[shared] { return std::move(*shared); }, Work::now};
}

const std::variant<Body, BodyProblem>& Call::body()
{
    if (!body_) body_ = parse_body(request, BodyLimits{settings.max_json_depth, settings.max_multipart_parts});
    return *body_;
}

std::string Call::client() const
{
    return client_address(request, peer, settings);
}

std::string client_address(const Request& request, const Peer& peer, const HttpSettings& settings)
{
    // settings.trusted_proxies is normalised by the handler, so addresses compare as text.
    const auto& proxies = settings.trusted_proxies;
    const auto trusted = [&](const std::string& address) {
        return std::find(proxies.begin(), proxies.end(), address) != proxies.end();
    };
    std::string hop = normalize_address(peer.address).value_or(peer.address);
    if (!trusted(hop)) return hop;
    // client, proxy1, proxy2: read from the right, skipping our proxies; the first other address is the client.
    const auto forwarded = forwarded_for(request);
    for (auto item = forwarded.rbegin(); item != forwarded.rend(); ++item) {
        auto address = normalize_address(*item);
        // Not an address (junk, a port suffix): only the trusted hop that forwarded it is known.
        if (!address) return hop;
        if (!trusted(*address)) return std::move(*address);
        hop = std::move(*address);
    }
    return hop;
}

const Endpoint* endpoint_for(const Route& route, boost::beast::http::verb method)
{
    using boost::beast::http::verb;
    const auto found = route.endpoints.find(method == verb::head ? verb::get : method);
    return found == route.endpoints.end() ? nullptr : &found->second;
}

namespace {

std::string allowed_methods(const Route& route)
{
    const auto& endpoints = route.endpoints;
    using boost::beast::http::verb;
    std::string out;
    const auto add = [&](std::string_view name) {
        if (!out.empty()) out += ", ";
        out += name;
    };
    for (verb v : {verb::get, verb::post, verb::put, verb::patch, verb::delete_})
        if (endpoints.contains(v)) add(boost::beast::http::to_string(v));
    if (endpoints.contains(verb::get)) add("HEAD");
    add("OPTIONS");
    return out;
}

}  // namespace

std::string Route::pattern() const
{
    std::string out;
    for (const auto& segment : segments) out += (out.empty() ? "" : "/") + segment;
    return trailing_slash ? out + "/" : out;
}

bool Route::logs_in() const
{
    return std::any_of(endpoints.begin(), endpoints.end(), [](const auto& entry) {
        return entry.second.throttling && entry.second.throttling->attempt == UserService::Attempt::login;
    });
}

void Route::set(boost::beast::http::verb verb, Endpoint endpoint)
{
    endpoints[verb] = std::move(endpoint);
    allow_header = allowed_methods(*this);
}

void RouteTable::add(std::string_view pattern, boost::beast::http::verb verb, Endpoint endpoint)
{
    bool trailing = false;
    auto segments = split_path(pattern, trailing);
    for (auto& route : routes_) {
        if (route.segments == segments && route.trailing_slash == trailing) {
            route.set(verb, std::move(endpoint));
            return;
        }
    }
    Route route{std::move(segments), trailing, {}, {}};
    route.set(verb, std::move(endpoint));
    routes_.push_back(std::move(route));
}

const Route* RouteTable::match(std::string_view path, std::vector<std::string>& params) const
{
    bool trailing = false;
    const auto segments = split_path(path, trailing);
    // Literal routes win over parameter routes ("users/me/" before "users/{}/").
    const Route* best = nullptr;
    std::vector<std::string> best_params;
    int best_literals = -1;
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size() || route.trailing_slash != trailing) continue;
        std::vector<std::string> found;
        int literals = 0;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            if (route.segments[i] == "{}") {
                ok = !segments[i].empty();
                found.push_back(segments[i]);
            } else {
                ok = case_insensitive_ ? iequals(route.segments[i], segments[i]) : route.segments[i] == segments[i];
                ++literals;
            }
        }
        if (ok && literals > best_literals) {
            best = &route;
            best_params = std::move(found);
            best_literals = literals;
        }
    }
    if (best) params = std::move(best_params);
    return best;
}

}  // namespace usermgmt::http::detail
