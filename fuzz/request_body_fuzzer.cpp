// Request decoding of both route styles: the body parsed by its content type (the first byte
// picks JSON, form or multipart), then read field by field as each style's mappers read it.
#include "auth/wire.hpp"
#include "common/request_body.hpp"
#include "users/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace usermgmt::http;
    using namespace usermgmt::http::detail;
    if (size == 0) return 0;
    static constexpr const char* types[] = {"application/json", "application/x-www-form-urlencoded",
                                            "multipart/form-data; boundary=b", "text/plain"};
    Request request{boost::beast::http::verb::post, "/auth/users/", 11};
    request.set(boost::beast::http::field::content_type, types[data[0] % 4]);
    request.body().assign(reinterpret_cast<const char*>(data) + 1, size - 1);
    auto parsed = parse_body(request, BodyLimits{32, 8});
    const auto* body = std::get_if<Body>(&parsed);
    if (!body || !body->data.is_object()) return 0;
    const auto& object = body->data.as_object();
    auth::Fields drf(object);
    for (const char* name : {"username", "email", "password", "re_password", "first_name", "uid", "token"}) {
        (void)drf.required(name);
        (void)drf.optional(name);
        (void)drf.required_not_blank(name);
    }
    users::Fields express(object);
    for (const char* name : {"email", "password", "firstname", "avatar", "resettoken"}) (void)express.text(name);
    (void)express.date("birthdate");
    (void)express.strings("groups");
    return 0;
}
