#include "common/openapi.hpp"

#include "common/responses.hpp"

#include <boost/json.hpp>

namespace usermgmt::http::detail {
namespace {

namespace json = boost::json;

// The prefixes docs/openapi.json is written with.
constexpr std::string_view default_auth_prefix = "/auth/";
constexpr std::string_view default_users_prefix = "/users";

enum class Owner { auth, users, handler };

Owner owner_of(std::string_view path)
{
    if (path.starts_with(default_auth_prefix)) return Owner::auth;
    if (path == default_users_prefix ||
        (path.starts_with(default_users_prefix) && path.substr(default_users_prefix.size()).starts_with('/')))
        return Owner::users;
    return Owner::handler;
}

// `rest` (the part after the default prefix) under `prefix`, without a doubled slash.
std::string moved(std::string_view prefix, std::string_view rest)
{
    std::string out(prefix);
    if (!out.empty() && out.back() == '/' && rest.starts_with('/')) rest.remove_prefix(1);
    out += rest;
    return out.empty() ? std::string("/") : out;
}

}  // namespace

std::string openapi_document(const HttpSettings& settings)
{
    const std::string_view embedded = embedded_openapi_document();
    if (settings.auth_prefix == default_auth_prefix && settings.users_prefix == default_users_prefix)
        return std::string(embedded);

    json::value document = json::parse(embedded);
    auto& root = document.as_object();
    json::object paths;
    for (auto& [key, item] : root.at("paths").as_object()) {
        const std::string_view path = key;
        switch (owner_of(path)) {
        case Owner::auth:
            if (!settings.auth_prefix.empty())
                paths[moved(settings.auth_prefix, path.substr(default_auth_prefix.size()))] = std::move(item);
            break;
        case Owner::users:
            if (!settings.users_prefix.empty())
                paths[moved(settings.users_prefix, path.substr(default_users_prefix.size()))] = std::move(item);
            break;
        case Owner::handler: paths[key] = std::move(item); break;
        }
    }
    root["paths"] = std::move(paths);
    // The routing notes name each style's prefix too.
    if (auto* routing = root.if_contains("x-usermgmt-routing"); routing && routing->is_object()) {
        if (auto* styles = routing->as_object().if_contains("styles"); styles && styles->is_object()) {
            auto& by_name = styles->as_object();
            const auto set_prefix = [&](std::string_view name, const std::string& prefix) {
                auto* style = by_name.if_contains(name);
                if (!style || !style->is_object()) return;
                if (prefix.empty()) by_name.erase(name);
                else style->as_object()["prefix"] = prefix;
            };
            set_prefix("auth", settings.auth_prefix);
            set_prefix("users", settings.users_prefix);
        }
    }
    return json::serialize(document);
}

Response openapi_response(const std::string& document, const Request& request)
{
    Response response = json_response(200, json::object(), request);
    response.body() = document;
    response.prepare_payload();
    return response;
}

}  // namespace usermgmt::http::detail
