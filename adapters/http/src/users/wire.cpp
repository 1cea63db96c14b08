#include "users/wire.hpp"

#include "common/error_status.hpp"
#include "common/text.hpp"

namespace usermgmt::http::detail::users {
namespace json = boost::json;
namespace {

std::string date_time(const Date& d)
{
    return d.to_iso() + "T00:00:00.000Z";
}

Response unauthorized(std::string_view text, const Request& request)
{
    auto response = message(401, text, request);
    response.set(boost::beast::http::field::www_authenticate, "Bearer");
    return response;
}

}  // namespace

Response message(unsigned status, std::string_view text, const Request& request)
{
    return json_response(status, json::object{{"message", text}}, request);
}

Response invalid(const FieldErrors& problems, const Request& request)
{
    // Field by field as reported: "message" is the first field's texts; a field this style names
    // like an earlier one (username and email are both "email" here) takes its place in "errors".
    json::object errors;
    std::string first;
    for (const auto& entry : problems.entries()) {
        std::string joined;
        for (const auto& p : entry.problems) joined += (joined.empty() ? "" : " ") + words().text(entry.field, p);
        if (first.empty()) first = joined;
        errors[words().field_name(entry.field)] = joined;
    }
    return json_response(400, json::object{{"message", first}, {"errors", std::move(errors)}}, request);
}

Response error(Error e, const Request& request)
{
    const auto& row = http_error(e.code);
    Response response = [&] {
        switch (e.code) {
        case Errc::invalid_argument: return invalid(e.fields, request);
        case Errc::already_exists: {
            auto r = invalid(e.fields, request);
            r.result(row.users_status);
            return r;
        }
        case Errc::not_found: return message(row.users_status, "User not found", request);
        case Errc::forbidden:
        case Errc::stale_token:
            return message(row.users_status, "You do not have permission to perform this action.", request);
        case Errc::invalid_credentials: return unauthorized("Invalid email or password.", request);
        case Errc::inactive_account: return unauthorized("Account is inactive.", request);
        case Errc::token_invalid:
        case Errc::token_expired:
        case Errc::token_wrong_type: return unauthorized("Invalid or expired token.", request);
        case Errc::rate_limited:
            return message(row.users_status, "Too many requests, try again in " + seconds_phrase(retry_after_seconds(e)),
                           request);
        case Errc::storage_failure:
        case Errc::crypto_failure:
            return message(row.users_status, "Service temporarily unavailable, try again later.", request);
        case Errc::bad_config:
        case Errc::internal: break;
        }
        return message(row.users_status, "Internal server error.", request);
    }();
    return with_status(std::move(response), e.code, Column::users, retry_after_seconds(e));
}

Response error_for(Error e, const Call& call)
{
    return error(std::move(e), call.request);
}

std::optional<std::string> Fields::text(std::string_view name)
{
    const json::value* v = data_.if_contains(name);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
        problems.add(name, Reason::wrong_type);
        return std::nullopt;
    }
    return std::string(v->as_string());
}

std::optional<std::optional<Date>> Fields::date(std::string_view name)
{
    const json::value* v = data_.if_contains(name);
    if (!v) return std::nullopt;
    if (v->is_null()) return std::optional<Date>();
    if (v->is_string()) {
        const std::string_view s = v->as_string();
        // The document's 01-01-2000, ISO dates, and ISO date-times at midnight as JSON clients send.
        if (auto d = Date::parse_dmy(s)) return std::optional<Date>(*d);
        if (auto d = Date::parse_iso(s.substr(0, 10)); d && (s.size() == 10 || s.substr(10) == "T00:00:00.000Z"))
            return std::optional<Date>(*d);
    }
    problems.add(name, Reason::wrong_type);
    return std::nullopt;
}

std::optional<std::vector<std::string>> Fields::strings(std::string_view name)
{
    const json::value* v = data_.if_contains(name);
    if (!v || v->is_null()) return std::nullopt;
    auto out = string_list(*v);
    if (!out) problems.add(name, Reason::wrong_type);
    return out;
}

BodyObject body_object(Call& call)
{
    const auto& parsed = call.body();
    if (const auto* problem = std::get_if<BodyProblem>(&parsed)) {
        switch (problem->kind) {
        case BodyProblem::Kind::unsupported_media_type:
            return {nullptr, message(415, "Unsupported media type \"" + problem->detail + "\".", call.request)};
        case BodyProblem::Kind::json_parse_error:
            return {nullptr, message(400, "Invalid JSON: " + problem->detail, call.request)};
        case BodyProblem::Kind::multipart_parse_error:
            return {nullptr, message(400, "Invalid multipart body: " + problem->detail, call.request)};
        }
    }
    const auto& data = std::get<Body>(parsed).data;
    if (!data.is_object()) return {nullptr, message(400, "The body must be a JSON object.", call.request)};
    return {&data.as_object(), std::nullopt};
}

json::object user_json(const User& u, const HttpSettings& settings)
{
    json::array groups;
    for (const auto& g : u.groups) groups.emplace_back(g);
    return json::object{{"_id", std::to_string(u.id)},
                        {"email", u.email},
                        {"firstname", u.first_name},
                        {"lastname", u.last_name},
                        {"birthdate", u.birthdate ? json::value(date_time(*u.birthdate)) : json::value(nullptr)},
                        {"avatar", avatar_value(u, settings)},
                        {"groups", std::move(groups)},
                        {"created_at", iso8601_millis(u.date_joined)},
                        {"updated_at", iso8601_millis(u.updated_at)}};
}

std::optional<std::string> token_of(const Request& request)
{
    if (auto header = request.find(boost::beast::http::field::authorization); header != request.end()) {
        const std::string_view value = trim_ascii(header->value());
        const auto space = value.find(' ');
        if (space != std::string_view::npos && iequals(value.substr(0, space), "Bearer")) {
            const auto token = trim_ascii(value.substr(space + 1));
            if (!token.empty()) return std::string(token);
        }
    }
    if (auto header = request.find("x-access-token"); header != request.end()) {
        const auto token = trim_ascii(header->value());
        if (!token.empty()) return std::string(token);
    }
    return std::nullopt;
}

Authentication authenticate(const Request& request, const UserService& service)
{
    const auto token = token_of(request);
    if (!token) return {std::nullopt, unauthorized("No token provided.", request)};
    auto who = service.authenticate(*token);
    if (who) return {std::move(*who), std::nullopt};
    Error e = std::move(who).error();
    // A deleted user's token is an invalid token here.
    if (e.code == Errc::not_found) e.code = Errc::token_invalid;
    return {std::nullopt, error(std::move(e), request)};
}

}  // namespace usermgmt::http::detail::users
