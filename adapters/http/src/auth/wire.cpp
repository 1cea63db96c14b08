#include "auth/wire.hpp"

#include "common/error_status.hpp"
#include "common/text.hpp"
#include "usermgmt/uid.hpp"

#include <algorithm>

namespace usermgmt::http::detail::auth {
namespace json = boost::json;
namespace {

// Python's str.strip() for the whitespace that matters in form and JSON input.
std::string strip(std::string_view s)
{
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return std::string(s);
}

Response unauthorized(json::object body, const Request& request)
{
    auto response = json_response(401, body, request);
    response.set(boost::beast::http::field::www_authenticate, "Bearer realm=\"api\"");
    return response;
}

json::object ordered(const ShownErrors& fields, std::initializer_list<std::string_view> order)
{
    std::vector<const ShownField*> entries;
    for (const auto& e : fields) entries.push_back(&e);
    const auto rank = [&](const ShownField* e) {
        std::size_t i = 0;
        for (auto name : order) {
            if (name == e->field) return i;
            ++i;
        }
        return order.size();  // unknown fields after the known ones, in their own order
    };
    std::stable_sort(entries.begin(), entries.end(), [&](auto* a, auto* b) { return rank(a) < rank(b); });
    json::object out;
    for (const auto* e : entries) {
        json::array texts;
        for (const auto& t : e->texts) texts.emplace_back(t);
        out[e->field] = std::move(texts);
    }
    return out;
}

const char* python_type_name(const json::value& v)
{
    if (v.is_array()) return "list";
    if (v.is_string()) return "str";
    if (v.is_bool()) return "bool";
    if (v.is_double()) return "float";
    return "int";
}

}  // namespace

std::optional<std::string> Fields::read(std::string_view name, bool required)
{
    const json::value* v = data_.if_contains(name);
    if (!v) {
        if (required) problems.add(name, Reason::required);
        return std::nullopt;
    }
    std::string text;
    if (v->is_string()) text = strip(v->as_string());
    else if (v->is_int64()) text = std::to_string(v->as_int64());
    else if (v->is_uint64()) text = std::to_string(v->as_uint64());
    else if (v->is_double()) text = json::serialize(*v);
    else {
        problems.add(name, v->is_null() ? Reason::null_value : Reason::wrong_type);
        if (!required) optional_problem = true;
        return std::nullopt;
    }
    if (text.find('\0') != std::string::npos) {
        problems.add(name, Reason::null_character);
        if (!required) optional_problem = true;
        return std::nullopt;
    }
    return text;
}

std::string Fields::required(std::string_view name)
{
    return read(name, true).value_or("");
}

std::string Fields::required_not_blank(std::string_view name)
{
    auto text = read(name, true);
    if (text && text->empty()) problems.add(name, Reason::blank);
    return text.value_or("");
}

std::optional<std::string> Fields::optional(std::string_view name)
{
    return read(name, false);
}

NamedUser named_user(std::string_view uid)
{
    return NamedUser{decode_uid(uid), uid.empty()};
}

BodyObject body_object(Call& call)
{
    const auto& parsed = call.body();
    if (const auto* problem = std::get_if<BodyProblem>(&parsed)) {
        switch (problem->kind) {
        case BodyProblem::Kind::unsupported_media_type:
            return {nullptr, detail_response(415, "Unsupported media type \"" + problem->detail + "\" in request.",
                                             call.request)};
        case BodyProblem::Kind::json_parse_error:
            return {nullptr, detail_response(400, "JSON parse error - " + problem->detail, call.request)};
        case BodyProblem::Kind::multipart_parse_error:
            return {nullptr, detail_response(400, "Multipart form parse error - " + problem->detail, call.request)};
        }
    }
    const auto& data = std::get<Body>(parsed).data;
    if (data.is_object()) return {&data.as_object(), std::nullopt};
    const std::string text = data.is_null() ? std::string("No data provided")
                                            : std::string("Invalid data. Expected a dictionary, but got ") +
                                                  python_type_name(data) + ".";
    return {nullptr, json_response(400, json::object{{"non_field_errors", json::array{json::string(text)}}}, call.request)};
}

namespace {

const ShownField* find(const ShownErrors& shown, std::string_view field)
{
    for (const auto& f : shown)
        if (f.field == field) return &f;
    return nullptr;
}

// The core's field errors with the shape problems in the place of the core's texts, by wire name.
ShownErrors merge(const ShownErrors& core, const ShownErrors& problems)
{
    ShownErrors merged;
    for (const auto& entry : core) {
        // A shape problem (required, null, not a string) is what DRF reports for that field.
        const auto* replacement = find(problems, entry.field);
        merged.push_back(replacement ? *replacement : entry);
    }
    for (const auto& entry : problems)
        if (!find(merged, entry.field)) merged.push_back(entry);
    return merged;
}

}  // namespace

Response field_errors(const FieldErrors& problems, std::initializer_list<std::string_view> order, const Call& call)
{
    return json_response(400, ordered(show(problems, words()), order), call.request);
}

Response error(Error e, const Call& call, std::initializer_list<std::string_view> order, const FieldErrors& problems)
{
    const auto& row = http_error(e.code);
    const auto& request = call.request;
    Response response = [&] {
        switch (e.code) {
        case Errc::invalid_argument:
        case Errc::already_exists:
            return json_response(row.auth_status,
                                 ordered(merge(show(e.fields, words()), show(problems, words())), order), request);
        case Errc::not_found: return detail_response(row.auth_status, "Not found.", request);
        case Errc::forbidden:
            return detail_response(row.auth_status, "You do not have permission to perform this action.", request);
        case Errc::stale_token: return detail_response(row.auth_status, "Stale token for given user.", request);
        case Errc::invalid_credentials:
            return unauthorized({{"detail", "No active account found with the given credentials"}}, request);
        case Errc::inactive_account:
            return unauthorized({{"detail", "User is inactive"}, {"code", "user_inactive"}}, request);
        case Errc::token_invalid:
        case Errc::token_expired:
        case Errc::token_wrong_type: return token_error(e, call);
        case Errc::rate_limited:  // DRF's throttling message
            return detail_response(row.auth_status,
                                   "Request was throttled. Expected available in " +
                                       seconds_phrase(retry_after_seconds(e)),
                                   request);
        case Errc::storage_failure:
        case Errc::crypto_failure:
            return detail_response(row.auth_status, "Service temporarily unavailable, try again later.", request);
        case Errc::bad_config:
        case Errc::internal: break;
        }
        return detail_response(row.auth_status, "A server error occurred.", request);
    }();
    return with_status(std::move(response), e.code, Column::auth, retry_after_seconds(e));
}

Response error_for(Error e, const Call& call)
{
    return error(std::move(e), call);
}

Response token_error(const Error& e, const Call& call)
{
    const char* detail = e.code == Errc::token_wrong_type ? "Token has wrong type" : "Token is invalid or expired";
    return unauthorized({{"detail", detail}, {"code", "token_not_valid"}}, call.request);
}

json::object user_json(const User& u, const HttpSettings& settings)
{
    json::object o = created_user_json(u, settings);
    o["date_joined"] = iso8601_drf(u.date_joined);
    return o;
}

json::object created_user_json(const User& u, const HttpSettings& settings)
{
    return json::object{{"id", u.id},
                        {"username", u.username},
                        {"email", u.email},
                        {"first_name", u.first_name},
                        {"last_name", u.last_name},
                        {"avatar", avatar_value(u, settings)},
                        {"is_active", u.is_active}};
}

Response not_authenticated(const Request& request)
{
    return unauthorized({{"detail", "Authentication credentials were not provided."}}, request);
}

Authentication authenticate(const Request& request, const UserService& service)
{
    const auto header = request.find(boost::beast::http::field::authorization);
    if (header == request.end()) return {};
    // simplejwt splits on runs of whitespace and accepts "Bearer" and "JWT" (case-sensitive).
    std::vector<std::string_view> parts;
    std::string_view rest = header->value();
    while (true) {
        rest = trim_ascii(rest);
        if (rest.empty()) break;
        // One pass over the token (find_first_of would look each character up in the set).
        const auto end = static_cast<std::size_t>(
            std::find_if(rest.begin(), rest.end(), [](char c) { return c == ' ' || c == '\t'; }) - rest.begin());
        parts.push_back(rest.substr(0, end));
        rest = rest.substr(end);
    }
    if (parts.empty() || (parts[0] != "Bearer" && parts[0] != "JWT")) return {};
    if (parts.size() != 2) {
        return {std::nullopt, unauthorized({{"detail", "Authorization header must contain two space-delimited values"},
                                            {"code", "bad_authorization_header"}},
                                           request)};
    }
    auto who = service.authenticate(parts[1]);
    if (who) return {std::move(*who), std::nullopt};
    switch (who.error().code) {
    case Errc::not_found:
        return {std::nullopt, unauthorized({{"detail", "User not found"}, {"code", "user_not_found"}}, request)};
    case Errc::inactive_account:
        return {std::nullopt, unauthorized({{"detail", "User is inactive"}, {"code", "user_inactive"}}, request)};
    case Errc::token_invalid:
    case Errc::token_expired:
    case Errc::token_wrong_type: {
        const char* message =
            who.error().code == Errc::token_wrong_type ? "Token has wrong type" : "Token is invalid or expired";
        json::object body{{"detail", "Given token not valid for any token type"},
                          {"code", "token_not_valid"},
                          {"messages", json::array{json::object{{"token_class", "AccessToken"},
                                                                {"token_type", "access"},
                                                                {"message", message}}}}};
        return {std::nullopt, unauthorized(std::move(body), request)};
    }
    default: {
        // The store failed while checking the token: a temporary condition, not a 401.
        auto response = detail_response(500, "Service temporarily unavailable, try again later.", request);
        return {std::nullopt, with_status(std::move(response), Errc::storage_failure, Column::auth)};
    }
    }
}

}  // namespace usermgmt::http::detail::auth
