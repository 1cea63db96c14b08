// The /auth mappers. Field orders are the serializers' (they order the field errors).
#include "auth/routes.hpp"

#include "auth/wire.hpp"
#include "common/text.hpp"

#include <charconv>
#include <variant>

namespace usermgmt::http::detail {
namespace {

namespace json = boost::json;
using bhttp_verb = boost::beast::http::verb;
using auth::Fields;

// The uploaded file of `field`, if any.
const UploadedFile* file_of(Call& call, std::string_view field)
{
    const auto& body = std::get<Body>(call.body());
    for (const auto& file : body.files)
        if (file.field == field) return &file;
    return nullptr;
}

// DRF's ImageField: a file, or null/"" to clear; any other value is not a file.
void read_avatar(Call& call, Fields& fields, std::optional<std::string>& image, std::optional<std::string>& clear)
{
    if (const auto* file = file_of(call, "avatar")) {
        image = file->data;
        return;
    }
    const json::value* raw = fields.raw("avatar");
    if (!raw) return;
    if (raw->is_null() || (raw->is_string() && raw->as_string().empty())) {
        clear = std::string();
        return;
    }
    fields.problems.add("avatar", Reason::wrong_type);  // not a file
    fields.optional_problem = true;
}

// users/me/ has no parameter: the caller; users/{id}/ a positive integer, else not found.
std::optional<UserId> user_id_param(const Call& call)
{
    if (call.params.empty()) return call.principal->user_id;
    return parse_user_id(call.params.front());
}

Response no_content(const Call& call)
{
    return empty_response(204, call.request);
}

// ---- registration and activation ------------------------------------------------------------

Response create_user(Call& call)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    NewUser in;
    in.username = f.required("username");
    in.email = f.required("email");
    in.first_name = f.optional("first_name").value_or("");
    in.last_name = f.optional("last_name").value_or("");
    std::optional<std::string> clear;
    read_avatar(call, f, in.avatar_image, clear);
    in.password = f.required("password");
    in.password_retype = f.required("re_password");
    const std::initializer_list<std::string_view> order = {"username", "email", "first_name", "last_name",
                                                                      "avatar", "password", "re_password"};
    if (f.optional_problem) return auth::field_errors(f.problems, order, call);
    in.require_activation = call.settings.auth_require_activation;
    auto made = call.service.register_user(in, call.principal);
    if (!made) return auth::error(std::move(made).error(), call, order, f.problems);
    return json_response(201, auth::created_user_json(made->user, call.settings), call.request);
}

Response activation(Call& call)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    OneTimeCode code{auth::named_user(f.required("uid")), f.required("token")};
    auto done = call.service.activate(code);
    if (!done) return auth::error(std::move(done).error(), call, {"uid", "token"}, f.problems);
    return no_content(call);
}

// resend_activation, reset_password, reset_username: one email field, 204 for any address.
template <class Request>
Response email_request(Call& call, Request request)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const std::string email = f.required("email");
    auto done = request(email);
    if (!done) return auth::error(std::move(done).error(), call, {"email"}, f.problems);
    return no_content(call);
}

Response resend_activation(Call& call)
{
    return email_request(call, [&](const std::string& email) { return call.service.resend_activation(email); });
}

Response reset_password(Call& call)
{
    return email_request(call, [&](const std::string& email) { return call.service.request_password_reset(email); });
}

Response reset_username(Call& call)
{
    return email_request(call, [&](const std::string& email) { return call.service.request_username_reset(email); });
}

// ---- tokens -----------------------------------------------------------------------------------

Response jwt_create(Call& call)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    // simplejwt names the field after the user model's USERNAME_FIELD.
    const LoginField match = call.settings.auth_login_field;
    const std::string_view field = match == LoginField::email ? "email" : "username";
    const std::string login = f.required(field);
    const std::string password = f.required("password");
    if (!f.problems.empty()) return auth::field_errors(f.problems, {field, "password"}, call);
    auto tokens = call.service.login(login, password, LoginOptions{std::nullopt, match});
    if (!tokens) {
        Error error = std::move(tokens).error();
        if (field != "username") {
            // The core's "login" is this style's "username" (words.cpp) unless the body said
            // "email": its problems then go under that name.
            FieldErrors renamed;
            for (const auto& entry : error.fields.entries())
                for (const auto& problem : entry.problems) renamed.add(entry.field == "login" ? field : entry.field, problem);
            error.fields = std::move(renamed);
        }
        return auth::error(std::move(error), call, {field, "password"});
    }
    return json_response(200, json::object{{"refresh", tokens->refresh}, {"access", tokens->access}}, call.request);
}

// The one token field of jwt/refresh/, jwt/blacklist/ and jwt/verify/ (a CharField that may not
// be blank), or the answer for a body without it.
std::variant<std::string, Response> token_field(Call& call, std::string_view name)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    std::string token = f.required_not_blank(name);
    if (!f.problems.empty()) return auth::field_errors(f.problems, {name}, call);
    return token;
}

Response jwt_refresh(Call& call)
{
    auto refresh = token_field(call, "refresh");
    if (auto* answer = std::get_if<Response>(&refresh)) return std::move(*answer);
    auto renewed = call.service.refresh(std::get<std::string>(refresh));
    if (!renewed) return auth::error(std::move(renewed).error(), call);
    json::object out{{"access", renewed->access}};
    if (!renewed->refresh.empty()) out["refresh"] = renewed->refresh;
    return json_response(200, out, call.request);
}

// simplejwt's TokenBlacklistView, which Djoser's URLs leave out: logging out for a client that
// holds only its tokens. The login's session ends; its access tokens stop working too.
Response jwt_blacklist(Call& call)
{
    auto refresh = token_field(call, "refresh");
    if (auto* answer = std::get_if<Response>(&refresh)) return std::move(*answer);
    auto done = call.service.revoke(std::get<std::string>(refresh));
    if (!done) return auth::error(std::move(done).error(), call);
    return json_response(200, json::object{}, call.request);
}

Response jwt_verify(Call& call)
{
    auto token = token_field(call, "token");
    if (auto* answer = std::get_if<Response>(&token)) return std::move(*answer);
    auto claims = call.service.verify_token(std::get<std::string>(token));
    if (!claims) return auth::error(std::move(claims).error(), call);
    return json_response(200, json::object{}, call.request);
}

// ---- users ------------------------------------------------------------------------------------

// GET users/: a plain array as Djoser answers; with ?limit=, DRF's LimitOffsetPagination envelope.
Response list_users(Call& call)
{
    ListQuery query;
    std::optional<std::int64_t> limit;
    for (const auto& [key, value] : parse_urlencoded(query_of(call.request.target()))) {
        std::int64_t number = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
        const bool integer = ec == std::errc() && end == value.data() + value.size();
        // DRF ignores a limit or offset that is not a positive (resp. non-negative) integer.
        if (key == "limit" && integer && number > 0) limit = number;
        else if (key == "offset" && integer && number >= 0) query.offset = number;
        else if (key == "username__startswith") query.username_prefix = value;
        else if (key == "email__startswith") query.email_prefix = value;
    }
    query.limit = limit.value_or(call.service.config().max_page_size);
    if (!limit) query.offset = 0;
    auto page = call.service.list_users(*call.principal, query);
    if (!page) return auth::error(std::move(page).error(), call);

    json::array users;
    for (const auto& u : page->users) users.push_back(auth::user_json(u, call.settings));
    if (!limit) return json_response(200, users, call.request);

    const std::int64_t size = std::min(*limit, call.service.config().max_page_size);
    const std::string host(call.request[boost::beast::http::field::host]);
    const std::string base = "http://" + (host.empty() ? std::string("localhost") : host) +
                             std::string(path_of(call.request.target())) + "?limit=" + std::to_string(size);
    json::value next = nullptr;
    json::value previous = nullptr;
    // Compared without adding to the offset, which may be as large as int64 allows.
    if (query.offset < page->total - size) next = base + "&offset=" + std::to_string(query.offset + size);
    if (query.offset > 0) {
        const auto back = std::max<std::int64_t>(0, query.offset - size);
        previous = back == 0 ? base : base + "&offset=" + std::to_string(back);
    }
    return json_response(200,
                         json::object{{"count", page->total}, {"next", next}, {"previous", previous}, {"results", users}},
                         call.request);
}

// How a route of users/{id}/ shows the user it read or changed.
using Render = json::object (*)(const User&, const HttpSettings&);

// GET users/{id}/ and its access/: the user, rendered.
Response read_user(Call& call, Render render)
{
    const auto id = user_id_param(call);
    if (!id) return detail_response(404, "Not found.", call.request);
    auto user = call.service.get_user(*call.principal, *id);
    if (!user) return auth::error(std::move(user).error(), call);
    return json_response(200, render(*user, call.settings), call.request);
}

// The change of user `id`, rendered. Djoser's queryset hides other users from non-staff: their
// refused change is "not found", as their read is (one's own refusal stays a 403).
Response update_answer(Call& call, UserId id, const UserPatch& patch, std::initializer_list<std::string_view> order,
                       Render render)
{
    auto user = call.service.update_user(*call.principal, id, patch);
    if (!user && user.error().code == Errc::forbidden && !call.principal->is_staff && id != call.principal->user_id)
        return detail_response(404, "Not found.", call.request);
    if (!user) return auth::error(std::move(user).error(), call, order);
    return json_response(200, render(*user, call.settings), call.request);
}

Response get_user(Call& call)
{
    return read_user(call, auth::user_json);
}

// PUT (replace) and PATCH: email, first_name, last_name, avatar; read-only fields are ignored.
template <bool Replace>
Response update_user(Call& call)
{
    const auto id = user_id_param(call);
    if (!id) return detail_response(404, "Not found.", call.request);
    // DRF finds the user before it reads the body: one the caller may not see, or no one, is a
    // 404 whatever the body holds.
    if (*id != call.principal->user_id) {
        if (auto visible = call.service.get_user(*call.principal, *id); !visible)
            return auth::error(std::move(visible).error(), call);
    }
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    UserPatch patch;
    patch.replace = Replace;
    patch.email = f.optional("email");
    patch.first_name = f.optional("first_name");
    patch.last_name = f.optional("last_name");
    read_avatar(call, f, patch.avatar_image, patch.avatar);
    const std::initializer_list<std::string_view> order = {"email", "first_name", "last_name", "avatar"};
    if (f.optional_problem) return auth::field_errors(f.problems, order, call);
    patch.require_activation = call.settings.auth_require_activation;
    return update_answer(call, *id, patch, order, auth::user_json);
}

Response delete_user(Call& call)
{
    const auto id = user_id_param(call);
    if (!id) return detail_response(404, "Not found.", call.request);
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const std::string current = f.required("current_password");
    auto done = call.service.delete_user(*call.principal, *id, current);
    if (!done) return auth::error(std::move(done).error(), call, {"current_password"}, f.problems);
    return no_content(call);
}

// ---- staff extension: beyond Djoser, on paths Djoser does not have ---------------------------

// What an account may do, as users/{id}/access/ shows it.
json::object access_json(const User& u, const HttpSettings&)
{
    json::array groups;
    for (const auto& g : u.groups) groups.emplace_back(g);
    return json::object{{"id", u.id},
                        {"is_active", u.is_active},
                        {"is_staff", u.is_staff},
                        {"is_superuser", u.is_superuser},
                        {"groups", std::move(groups)}};
}

// DRF's BooleanField: JSON booleans, and the words a form sends.
std::optional<bool> read_bool(Fields& f, std::string_view name)
{
    const json::value* raw = f.raw(name);
    if (!raw) return std::nullopt;
    if (raw->is_bool()) return raw->as_bool();
    if (raw->is_string()) {
        const std::string_view v = raw->as_string();
        if (v == "true" || v == "True" || v == "1") return true;
        if (v == "false" || v == "False" || v == "0") return false;
    }
    f.problems.add(std::string(name), Reason::wrong_type);
    f.optional_problem = true;
    return std::nullopt;
}

// A list of group names (JSON only: a form has no lists).
std::optional<std::vector<std::string>> read_names(Fields& f, std::string_view name)
{
    const json::value* raw = f.raw(name);
    if (!raw) return std::nullopt;
    auto names = string_list(*raw);
    if (!names) {
        f.problems.add(std::string(name), Reason::wrong_type);
        f.optional_problem = true;
    }
    return names;
}

Response get_access(Call& call)
{
    return read_user(call, access_json);
}

// PATCH users/{id}/access/: is_active and groups (staff), is_staff (superusers); the core says who may.
Response patch_access(Call& call)
{
    const auto id = user_id_param(call);
    if (!id) return detail_response(404, "Not found.", call.request);
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    UserPatch patch;
    patch.is_active = read_bool(f, "is_active");
    patch.is_staff = read_bool(f, "is_staff");
    patch.groups = read_names(f, "groups");
    const std::initializer_list<std::string_view> order = {"is_active", "is_staff", "groups"};
    if (f.optional_problem) return auth::field_errors(f.problems, order, call);
    return update_answer(call, *id, patch, order, access_json);
}

Response list_groups(Call& call)
{
    auto groups = call.service.list_groups(*call.principal);
    if (!groups) return auth::error(std::move(groups).error(), call);
    json::array names;
    for (const auto& g : *groups) names.emplace_back(g);
    return json_response(200, names, call.request);
}

// ---- credentials -------------------------------------------------------------------------------

Response set_password(Call& call)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    PasswordChange change;
    change.new_password = f.required("new_password");
    change.new_password_retype = f.required("re_new_password");
    change.current_password = f.required("current_password");
    auto done = call.service.set_password(*call.principal, change);
    if (!done)
        return auth::error(std::move(done).error(), call, {"new_password", "re_new_password", "current_password"},
                           f.problems);
    return no_content(call);
}

Response set_username(Call& call)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const std::string current = f.required("current_password");
    const std::string username = f.required("new_username");
    auto done = call.service.set_username(*call.principal, username, current);
    if (!done) return auth::error(std::move(done).error(), call, {"current_password", "new_username"}, f.problems);
    return no_content(call);
}

Response reset_password_confirm(Call& call)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    OneTimeCode code{auth::named_user(f.required("uid")), f.required("token")};
    const std::string password = f.required("new_password");
    const std::string retype = f.required("re_new_password");
    auto done = call.service.confirm_password_reset(code, password, retype);
    if (!done)
        return auth::error(std::move(done).error(), call, {"uid", "token", "new_password", "re_new_password"},
                           f.problems);
    return no_content(call);
}

Response reset_username_confirm(Call& call)
{
    auto body = auth::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const std::string username = f.required("new_username");
    // Djoser does not require uid and token here: a missing one is simply invalid.
    OneTimeCode code{auth::named_user(f.optional("uid").value_or("")), f.optional("token").value_or("")};
    if (f.optional_problem) return auth::field_errors(f.problems, {"new_username", "uid", "token"}, call);
    auto done = call.service.confirm_username_reset(code, username);
    if (!done) return auth::error(std::move(done).error(), call, {"new_username", "uid", "token"}, f.problems);
    return no_content(call);
}

}  // namespace

// Throttled operations are declared here, in the table, once each (see `throttled`).
RouteTable auth_users_routes()
{
    using Attempt = UserService::Attempt;
    RouteTable t;
    t.add("users/", bhttp_verb::get, authenticated_endpoint(list_users));
    t.add("users/", bhttp_verb::post,
          throttled(Attempt::registration, {}, taking_file(open_endpoint(create_user, Cost::hashes_password))));
    t.add("users/activation/", bhttp_verb::post, throttled(Attempt::activation, {}, open_endpoint(activation)));
    t.add("users/resend_activation/", bhttp_verb::post,
          throttled(Attempt::resend_activation, "email", open_endpoint(resend_activation)));
    t.add("users/reset_password/", bhttp_verb::post,
          throttled(Attempt::reset_request, "email", open_endpoint(reset_password)));
    t.add("users/reset_password_confirm/", bhttp_verb::post,
          throttled(Attempt::reset_confirm, {}, open_endpoint(reset_password_confirm, Cost::hashes_password)));
    t.add("users/reset_username/", bhttp_verb::post,
          throttled(Attempt::reset_request, "email", open_endpoint(reset_username)));
    t.add("users/reset_username_confirm/", bhttp_verb::post,
          throttled(Attempt::reset_confirm, {}, open_endpoint(reset_username_confirm)));
    t.add("users/set_password/", bhttp_verb::post, authenticated_endpoint(set_password, Cost::hashes_password));
    t.add("users/set_username/", bhttp_verb::post, authenticated_endpoint(set_username, Cost::hashes_password));
    for (const char* pattern : {"users/me/", "users/{}/"}) {
        t.add(pattern, bhttp_verb::get, authenticated_endpoint(get_user));
        t.add(pattern, bhttp_verb::put, taking_file(authenticated_endpoint(update_user<true>)));
        t.add(pattern, bhttp_verb::patch, taking_file(authenticated_endpoint(update_user<false>)));
        t.add(pattern, bhttp_verb::delete_, authenticated_endpoint(delete_user, Cost::hashes_password));
    }
    // The staff extension (docs/http-api.md): what the pages' staff views need and Djoser lacks.
    for (const char* pattern : {"users/me/access/", "users/{}/access/"}) {
        t.add(pattern, bhttp_verb::get, authenticated_endpoint(get_access));
        t.add(pattern, bhttp_verb::patch, authenticated_endpoint(patch_access));
    }
    t.add("groups/", bhttp_verb::get, authenticated_endpoint(list_groups));
    return t;
}

std::vector<std::pair<std::string, Route>> auth_jwt_routes()
{
    using Attempt = UserService::Attempt;
    std::vector<std::pair<std::string, Route>> routes;
    const auto post_only = [](Endpoint e) {
        Route r;
        r.set(bhttp_verb::post, std::move(e));
        return r;
    };
    routes.emplace_back("jwt/create",
                        post_only(throttled(Attempt::login, {}, open_endpoint(jwt_create, Cost::hashes_password))));
    routes.emplace_back("jwt/refresh", post_only(open_endpoint(jwt_refresh)));
    routes.emplace_back("jwt/verify", post_only(open_endpoint(jwt_verify)));
    // A write (the session's end): on the store pool like refresh.
    routes.emplace_back("jwt/blacklist", post_only(open_endpoint(jwt_blacklist)));
    return routes;
}

}  // namespace usermgmt::http::detail
