#include "pages.hpp"

#include "common/responses.hpp"

#include <boost/json.hpp>
#include <boost/range/iterator_range.hpp>

#include <openssl/sha.h>

namespace usermgmt::http::detail {
namespace {

namespace bhttp = boost::beast::http;

// Scripts and styles from this origin only, never inline; pictures from here or a file the
// person picked (the avatar preview); nothing may frame the pages. `connect-src 'self'`: the
// pages call the API of the server that serves them.
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

std::string quoted_digest(std::string_view text)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char byte : digest) {
        out += hex[byte >> 4];
        out += hex[byte & 15];
    }
    return out + '"';
}

// Whether an If-None-Match header (of any number of lines) names `etag`, or is "*": the client's
// copy is current. Validators are compared weakly (W/ ignored), as RFC 9110 has it for GET.
bool current(const Request& request, std::string_view etag)
{
    for (const auto& field : boost::make_iterator_range(request.equal_range(bhttp::field::if_none_match))) {
        std::string_view rest = field.value();
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            std::string_view item = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
            if (item.starts_with("W/")) item.remove_prefix(2);
            if (item == "*" || item == etag) return true;
        }
    }
    return false;
}

Response file_response(const Request& request, std::string_view type, std::string_view etag, std::string_view body)
{
    const bool fresh = current(request, etag);
    Response response{fresh ? bhttp::status::not_modified : bhttp::status::ok, request.version()};
    if (!fresh) response.set(bhttp::field::content_type, type);
    // Revalidated on every use: a new version of the server is seen at once, and an unchanged
    // file costs a 304.
    response.set(bhttp::field::cache_control, "no-cache");
    response.set(bhttp::field::etag, etag);
    response.set("Content-Security-Policy", content_security_policy);
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    // Mail links carry their tokens in the fragment, which no Referer holds; send none anyway.
    response.set("Referrer-Policy", "no-referrer");
    response.set("Cross-Origin-Opener-Policy", "same-origin");
    response.keep_alive(request.keep_alive());
    if (fresh) return response;  // a 304 has no body, and says no length rather than a wrong one
    response.body() = std::string(body);
    response.prepare_payload();
    return response;
}

}  // namespace

// The login field's name in config.json: jwt/create/'s body field and what it matches.
std::string_view login_field_name(LoginField field)
{
    switch (field) {
    case LoginField::email: return "email";
    case LoginField::username_or_email: return "username_or_email";
    case LoginField::username: break;
    }
    return "username";
}

Pages::Pages(const HttpSettings& settings) : prefix_(settings.pages_prefix)
{
    // The pages call the /auth routes: without them there is nothing to serve.
    if (settings.auth_prefix.empty()) prefix_.clear();
    if (prefix_.empty()) return;
    config_path_ = prefix_ + "config.json";
    config_ = boost::json::serialize(boost::json::object{{"api", ""},
                                                         {"auth_prefix", settings.auth_prefix},
                                                         {"login_field", login_field_name(settings.auth_login_field)}});
    config_etag_ = quoted_digest(config_);
}

const PageFile* Pages::find(std::string_view path) const noexcept
{
    if (!path.starts_with(prefix_)) return nullptr;
    std::string_view name = path.substr(prefix_.size());
    if (name.empty()) name = "index.html";
    for (const auto& file : embedded_pages())
        if (file.name == name) return &file;
    return nullptr;
}

bool Pages::owns(std::string_view path) const noexcept
{
    if (prefix_.empty()) return false;
    if (path.size() + 1 == prefix_.size() && prefix_.starts_with(path)) return true;  // the prefix without '/'
    return path == config_path_ || find(path) != nullptr;
}

Response Pages::answer(const Request& request) const
{
    const std::string_view path = path_of(request.target());
    if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
        Response response = detail_response(405, "Method not allowed.", request);
        response.set(bhttp::field::allow, "GET, HEAD");
        return response;
    }
    if (path.size() < prefix_.size()) {
        Response response = empty_response(301, request);
        response.set(bhttp::field::location, prefix_);
        return response;
    }
    if (path == config_path_) return file_response(request, "application/json", config_etag_, config_);
    const PageFile* file = find(path);
    return file_response(request, file->content_type, file->etag, file->body);
}

}  // namespace usermgmt::http::detail
