// The /users mappers: read the fields, call one UserService method, answer in this style.
#include "users/routes.hpp"

#include "users/wire.hpp"

#include <charconv>

namespace usermgmt::http::detail {
namespace {

namespace json = boost::json;
using users::Fields;

constexpr std::string_view users_origin = "users";

Response ok(const json::value& body, const Call& call, unsigned status = 200)
{
    return json_response(status, body, call.request);
}

std::optional<UserId> id_param(const Call& call)
{
    return parse_user_id(call.params.front());
}

// The profile members both registration and updates take.
struct Profile {
    std::optional<std::string> email, password, firstname, lastname, avatar;
    std::optional<std::optional<Date>> birthdate;
    std::optional<std::vector<std::string>> groups;
};

Profile read_profile(Fields& f)
{
    Profile p;
    p.email = f.text("email");
    p.password = f.text("password");
    p.firstname = f.text("firstname");
    p.lastname = f.text("lastname");
    p.birthdate = f.date("birthdate");
    p.avatar = f.text("avatar");
    p.groups = f.strings("groups");
    return p;
}

Response create_user(Call& call)
{
    auto body = users::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    Profile p = read_profile(f);
    if (!f.problems.empty()) return users::invalid(f.problems, call.request);
    NewUser in;
    in.username_from_email = true;
    in.email = p.email.value_or("");
    in.password = p.password.value_or("");
    in.first_name = p.firstname.value_or("");
    in.last_name = p.lastname.value_or("");
    if (p.birthdate) in.birthdate = *p.birthdate;
    in.avatar = p.avatar.value_or("");
    in.groups = p.groups.value_or(std::vector<std::string>{});
    in.require_activation = call.settings.users_require_activation;
    in.issue_tokens = true;
    in.access_token_lifetime = call.settings.users_access_token_lifetime;
    auto made = call.service.register_user(in, call.principal);
    if (!made) return users::error(std::move(made).error(), call.request);
    json::object out;
    if (made->tokens) out["accessToken"] = made->tokens->access;
    out["user"] = json::object{{"id", std::to_string(made->user.id)}, {"email", made->user.email}};
    out["message"] = "User " + made->user.email + " created";
    return ok(out, call, 201);
}

Response login(Call& call)
{
    auto body = users::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const auto email = f.text("email");
    const auto password = f.text("password");
    if (!f.problems.empty()) return users::invalid(f.problems, call.request);
    auto tokens = call.service.login(email.value_or(""), password.value_or(""),
                                     LoginOptions{call.settings.users_access_token_lifetime, LoginField::email});
    if (!tokens) return users::error(std::move(tokens).error(), call.request);
    auto who = call.service.authenticate(tokens->access);
    if (!who) return users::error(std::move(who).error(), call.request);
    auto user = call.service.me(*who);
    if (!user) return users::error(std::move(user).error(), call.request);
    return ok(json::object{{"user", json::object{{"id", std::to_string(user->id)},
                                                 {"email", user->email},
                                                 {"accessToken", tokens->access}}}},
              call);
}

Response logout(Call& call)
{
    auto done = call.service.logout(*call.principal);
    if (!done) return users::error(std::move(done).error(), call.request);
    return ok(json::object{{"success", true}, {"message", "User Logged out"}}, call);
}

Response reset_password(Call& call)
{
    auto body = users::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const auto email = f.text("email");
    if (!f.problems.empty()) return users::invalid(f.problems, call.request);
    auto done = call.service.request_password_reset(email.value_or(""), users_origin);
    if (!done) return users::error(std::move(done).error(), call.request);
    // The same words for every address: the answer reveals nothing.
    return ok(json::object{{"message", "Reset Password successfully. An email sent you on " + *email}}, call);
}

Response valid_password_token(Call& call)
{
    auto body = users::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const auto token = f.text("resettoken");
    if (!f.problems.empty()) return users::invalid(f.problems, call.request);
    auto done = call.service.check_password_reset(OneTimeCode{std::nullopt, token.value_or("")});
    if (!done) return users::error(std::move(done).error(), call.request);
    return ok(json::object{{"message", "Token verified successfully."}}, call);
}

Response reset_password_confirm(Call& call)
{
    auto body = users::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    const auto token = f.text("resettoken");
    const auto password = f.text("newPassword");
    if (!f.problems.empty()) return users::invalid(f.problems, call.request);
    auto done = call.service.confirm_password_reset(OneTimeCode{std::nullopt, token.value_or("")},
                                                    password.value_or(""), std::nullopt);
    if (!done) return users::error(std::move(done).error(), call.request);
    return ok(json::object{{"message", "Password reset successfully"}}, call);
}

// GET /users: an array; ?limit=&offset=; the total in X-Total-Count.
Response list_users(Call& call)
{
    ListQuery query;
    query.limit = call.service.config().max_page_size;
    FieldErrors problems;
    for (const auto& [key, value] : parse_urlencoded(query_of(call.request.target()))) {
        std::int64_t number = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
        const bool integer = ec == std::errc() && end == value.data() + value.size();
        if (key == "limit" || key == "offset") {
            if (!integer) problems.add(key, Reason::wrong_type);
            else (key == "limit" ? query.limit : query.offset) = number;
        } else if (key == "email") {
            query.email_prefix = value;
        }
    }
    if (!problems.empty()) return users::invalid(problems, call.request);
    auto page = call.service.list_users(*call.principal, query);
    if (!page) return users::error(std::move(page).error(), call.request);
    json::array out;
    for (const auto& u : page->users) out.push_back(users::user_json(u, call.settings));
    auto response = ok(out, call);
    response.set("X-Total-Count", std::to_string(page->total));
    return response;
}

Response get_user(Call& call)
{
    const auto id = id_param(call);
    if (!id) return users::message(404, "User not found", call.request);
    auto user = call.service.get_user(*call.principal, *id);
    if (!user) return users::error(std::move(user).error(), call.request);
    return ok(users::user_json(*user, call.settings), call);
}

Response update_user(Call& call)
{
    const auto id = id_param(call);
    if (!id) return users::message(404, "User not found", call.request);
    auto body = users::body_object(call);
    if (body.answer) return std::move(*body.answer);
    Fields f(*body.object);
    Profile p = read_profile(f);
    if (!f.problems.empty()) return users::invalid(f.problems, call.request);
    UserPatch patch;
    patch.email = p.email;
    patch.password = p.password;
    patch.first_name = p.firstname;
    patch.last_name = p.lastname;
    patch.birthdate = p.birthdate;
    // null clears the avatar, as an absent string would not.
    if (f.present("avatar")) patch.avatar = p.avatar.value_or("");
    patch.groups = p.groups;
    patch.require_activation = call.settings.users_require_activation;
    auto user = call.service.update_user(*call.principal, *id, patch);
    if (!user) return users::error(std::move(user).error(), call.request);
    return ok(json::object{{"message", "User " + user->email + " updated"}, {"user", users::user_json(*user, call.settings)}},
              call);
}

Response delete_user(Call& call)
{
    const auto id = id_param(call);
    if (!id) return users::message(404, "User not found", call.request);
    auto done = call.service.delete_user(*call.principal, *id, std::nullopt);
    if (!done) return users::error(std::move(done).error(), call.request);
    return ok(json::object{{"message", "user " + std::to_string(*id) + " deleted"}}, call);
}

using bhttp_verb = boost::beast::http::verb;

}  // namespace

// No route here takes a file (`avatar` is a string in this style): every body has the small limit.
// Throttled operations are declared here, in the table, once each (see `throttled`).
RouteTable users_routes()
{
    using Attempt = UserService::Attempt;
    RouteTable t(true);
    t.add("", bhttp_verb::post, throttled(Attempt::registration, {}, open_endpoint(create_user, Cost::hashes_password)));
    t.add("", bhttp_verb::get, authenticated_endpoint(list_users));
    t.add("login", bhttp_verb::post, throttled(Attempt::login, {}, open_endpoint(login, Cost::hashes_password)));
    t.add("logout", bhttp_verb::post, authenticated_endpoint(logout));
    t.add("reset-password", bhttp_verb::post, throttled(Attempt::reset_request, "email", open_endpoint(reset_password)));
    t.add("valid-password-token", bhttp_verb::post,
          throttled(Attempt::reset_confirm, {}, open_endpoint(valid_password_token)));
    t.add("ResetPassword", bhttp_verb::post,
          throttled(Attempt::reset_confirm, {}, open_endpoint(reset_password_confirm, Cost::hashes_password)));
    t.add("{}", bhttp_verb::get, authenticated_endpoint(get_user));
    t.add("{}", bhttp_verb::put, authenticated_endpoint(update_user, Cost::hashes_password));
    t.add("{}", bhttp_verb::delete_, authenticated_endpoint(delete_user));
    return t;
}

}  // namespace usermgmt::http::detail
