#include "common/cors.hpp"

#include "common/text.hpp"

#include <algorithm>

namespace usermgmt::http::detail {
namespace bhttp = boost::beast::http;
namespace {

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace

bool Cors::allowed(std::string_view origin) const
{
    return std::any_of(settings_.allowed_origins.begin(), settings_.allowed_origins.end(),
                       [&](const std::string& o) { return o == "*" || o == origin; });
}

void Cors::allow_origin(std::string_view origin, Response& response) const
{
    const auto& origins = settings_.allowed_origins;
    const bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
    const bool named = origin != "*" && std::find(origins.begin(), origins.end(), origin) != origins.end();
    // Credentials only for an origin listed by name: with "*" any site could act with the user's cookies.
    const bool credentials = settings_.allow_credentials && named;
    // Browsers refuse "*" with credentials, so a credentialed answer echoes the origin.
    response.set(bhttp::field::access_control_allow_origin, any && !credentials ? std::string_view("*") : origin);
    // The answer depends on the origin unless every origin gets "*".
    if (!any || settings_.allow_credentials) response.set(bhttp::field::vary, "Accept, Origin");
    if (credentials) response.set(bhttp::field::access_control_allow_credentials, "true");
}

std::optional<Response> Cors::preflight(const Request& request) const
{
    if (request.method() != bhttp::verb::options) return std::nullopt;
    const auto origin = request[bhttp::field::origin];
    const auto method = request[bhttp::field::access_control_request_method];
    if (origin.empty() || method.empty()) return std::nullopt;

    Response response{bhttp::status::no_content, request.version()};
    response.keep_alive(request.keep_alive());
    const bool method_ok = std::any_of(settings_.allowed_methods.begin(), settings_.allowed_methods.end(),
                                       [&](const std::string& m) { return iequals(m, method); });
    // A refused preflight is answered without CORS headers: the browser then blocks the request.
    if (allowed(origin) && method_ok) {
        allow_origin(origin, response);
        response.set(bhttp::field::access_control_allow_methods, join(settings_.allowed_methods));
        response.set(bhttp::field::access_control_allow_headers, join(settings_.allowed_headers));
        response.set(bhttp::field::access_control_max_age, std::to_string(settings_.max_age.count()));
    }
    response.prepare_payload();
    return response;
}

void Cors::decorate(const Request& request, Response& response) const
{
    const auto origin = request[bhttp::field::origin];
    if (origin.empty() || !allowed(origin)) return;
    allow_origin(origin, response);
    // Let scripts read the headers our answers carry beyond the simple ones.
    response.set(bhttp::field::access_control_expose_headers, "Retry-After, X-Total-Count, Location");
}

}  // namespace usermgmt::http::detail
