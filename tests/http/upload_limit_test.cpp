// The upload limit is for endpoints that take a file; every other body has the small limit.
#include "http_fixture.hpp"

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0", 29);
const std::map<std::string, std::string> multipart{{"Content-Type", "multipart/form-data; boundary=B0und"}};

std::string field(const std::string& name, const std::string& value)
{
    return "--B0und\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}

std::string avatar(const std::string& bytes)
{
    return "--B0und\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"me.png\"\r\n"
           "Content-Type: image/png\r\n\r\n" +
           bytes + "\r\n";
}

const std::string end = "--B0und--\r\n";
// Bigger than the small limit below, far below the upload limit.
const std::string padding(4096, 'x');

HttpFixture small_bodies()
{
    return HttpFixture([](Config&, http::HttpSettings& s, http::ServerSettings&) {
        s.max_body_bytes = 1024;
        s.max_upload_bytes = 64 * 1024;
    });
}

// Registers "pic" over multipart with `image` as the avatar.
Reply register_with_avatar(HttpFixture& f, const std::string& image)
{
    return f.send(verb::post, "/auth/users/",
                  field("username", "pic") + field("email", "pic@example.com") + field("password", strong_password) +
                      field("re_password", strong_password) + avatar(image) + end,
                  multipart);
}

std::map<std::string, std::string> with(std::map<std::string, std::string> a, const std::map<std::string, std::string>& b)
{
    a.insert(b.begin(), b.end());
    return a;
}

}  // namespace

TEST_CASE("A large multipart body to a route that takes no file: 413 in the style's format", "[http][server][limits]")
{
    auto f = small_bodies();
    const std::string login = field("username", "amy") + field("password", strong_password) + field("pad", padding) + end;
    for (const char* path : {"/auth/jwt/create/", "/auth/users/reset_password/", "/auth/users/activation/"}) {
        auto reply = f.send(verb::post, path, login, multipart);
        INFO(path);
        CHECK(reply.status == 413);
        CHECK(reply.body == R"({"detail":"Request body too large."})");
    }
    for (const char* path : {"/users/login", "/users", "/users/reset-password"}) {
        auto reply = f.send(verb::post, path, login, multipart);
        INFO(path);
        CHECK(reply.status == 413);
        CHECK(reply.body == R"({"message":"Request body too large."})");
    }
    // A small multipart body there is still read as a form.
    auto small = f.send(verb::post, "/auth/jwt/create/", field("username", "amy") + field("password", "x") + end, multipart);
    CHECK(small.status == 401);
}

TEST_CASE("The avatar routes still take a large image", "[http][server][limits][avatar]")
{
    auto f = small_bodies();
    const std::string big_png = png + std::string(8192, '\0');
    auto registered = register_with_avatar(f, big_png);
    REQUIRE(registered.status == 201);
    CHECK(f.send(verb::get, std::string(registered.json().at("avatar").as_string())).body == big_png);

    const auto id = f.make_user("amy");
    const auto a = f.bearer("amy");
    for (const std::string& path : {std::string("/auth/users/me/"), "/auth/users/" + std::to_string(id) + "/"}) {
        auto updated = f.send(verb::patch, path, avatar(big_png) + end, with(a, multipart));
        INFO(path);
        CHECK(updated.status == 200);
    }
    auto replaced = f.send(verb::put, "/auth/users/me/", field("email", "amy@example.com") + avatar(big_png) + end,
                           with(a, multipart));
    CHECK(replaced.status == 200);
    // Beyond the upload limit even the avatar route says 413.
    auto huge = f.send(verb::patch, "/auth/users/me/", avatar(png + std::string(70 * 1024, '\0')) + end,
                       with(a, multipart));
    CHECK(huge.status == 413);
    CHECK(huge.body == R"({"detail":"Request body too large."})");
}

TEST_CASE("Handler::body_limit: the upload limit for a multipart body to a route that takes a file only", "[http][limits]")
{
    auto f = small_bodies();
    const auto limit = [&](verb method, const std::string& target, const std::string& type) {
        bhttp::request_header<> header;
        header.method(method);
        header.target(target);
        header.set(bhttp::field::content_type, type);
        return f.handler->body_limit(header);
    };
    const std::string form = "multipart/form-data; boundary=x";
    CHECK(limit(verb::post, "/auth/users/", form) == 64 * 1024);
    CHECK(limit(verb::patch, "/auth/users/me/?x=1", form) == 64 * 1024);
    CHECK(limit(verb::put, "/auth/users/7/", form) == 64 * 1024);
    CHECK(limit(verb::post, "/auth/users/", "application/json") == 1024);
    CHECK(limit(verb::get, "/auth/users/me/", form) == 1024);
    CHECK(limit(verb::delete_, "/auth/users/me/", form) == 1024);
    CHECK(limit(verb::post, "/auth/jwt/create/", form) == 1024);
    CHECK(limit(verb::post, "/auth/users", form) == 1024);  // a redirect, not the route
    CHECK(limit(verb::put, "/users/7", form) == 1024);
    CHECK(limit(verb::post, "/users", form) == 1024);
    CHECK(limit(verb::post, "/elsewhere", form) == 1024);
}

TEST_CASE("With the default limits, an avatar of megabytes is taken and a body of megabytes is a 413, not a 400",
          "[http][server][limits][avatar]")
{
    // Beast's parser refuses a Content-Length over 1 MiB while reading the header unless told
    // otherwise: the server's own limits (64 KiB, 10 MiB for uploads) must be the ones that count.
    HttpFixture f;
    const std::string big_png = png + std::string(3 * 1024 * 1024, '\0');
    auto registered = register_with_avatar(f, big_png);
    REQUIRE(registered.status == 201);
    CHECK(f.send(verb::get, std::string(registered.json().at("avatar").as_string())).body.size() == big_png.size());

    // The header alone, as a client that waits for an early answer sends it: 413 at once.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), f.port()});
    const std::string head = "POST /auth/jwt/create/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: 2097152\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(head));
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> refused;
    bhttp::read(socket, buffer, refused);
    CHECK(refused.result_int() == 413);
    CHECK(refused.body() == R"({"detail":"Request body too large."})");
}
