// examples/mount: usermgmt mounted in an application's own Beast server, run as a user would
// run it. Its own route and usermgmt's answer side by side; a body too large is answered in the
// route style's format and the connection closed; clients are throttled each by their address.
#include "http_fixture.hpp"
#include "../support/child_process.hpp"

#include <boost/asio.hpp>

#include <regex>
#include <thread>

#ifndef USERMGMT_MOUNT_EXAMPLE_BINARY
#error "USERMGMT_MOUNT_EXAMPLE_BINARY names the usermgmt-mount-example binary"
#endif

namespace usermgmt::test {

TEST_CASE("examples/mount: the application's route and usermgmt's, one server", "[example][mount]")
{
    TempDir dir;
    ChildProcess app({USERMGMT_MOUNT_EXAMPLE_BINARY, "127.0.0.1:0", (dir / "data").string()}, {},
                     (dir / "app.log").string());
    unsigned short port = 0;
    const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)/");
    for (int i = 0; i < 200 && port == 0; ++i) {
        std::smatch m;
        const std::string text = app.log();
        if (std::regex_search(text, m, listening)) port = static_cast<unsigned short>(std::stoi(m[1]));
        else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(port != 0);

    Client client(port);
    auto hello = client.send(bhttp::verb::get, "/hello");
    CHECK(hello.status == 200);
    CHECK(hello.body == "hello from the application\n");
    CHECK(client.send(bhttp::verb::get, "/healthz").status == 200);
    CHECK(client.send(bhttp::verb::get, "/nothing-here").status == 404);
    auto made = client.send(bhttp::verb::post, "/auth/users/",
                            R"({"username":"amy","email":"amy@example.com","password":"Mounted-Passphrase-7","re_password":"Mounted-Passphrase-7"})");
    CHECK(made.status == 201);
    CHECK(made.json().at("username") == "amy");
    // The activation link went to the console transport: the app's log.
    CHECK(app.log().find("#/activate/") != std::string::npos);

    // Too large: 413 in the /auth style's words, and the connection closes (the body was never
    // read: the example drains what is left before closing, so the answer arrives whole).
    Client big(port);
    auto refused = big.send(bhttp::verb::post, "/auth/jwt/create/", std::string(2 * 1024 * 1024, 'x'));
    CHECK(refused.status == 413);
    CHECK(json::parse(refused.body).at("detail") == "Request body too large.");
    CHECK(refused.header("connection") == "close");

    // Each client is throttled by its own address: 127.0.0.2 runs into the login limit (30 a
    // minute per client; unknown names, so no account's limit counts), 127.0.0.3 does not. A
    // mount that passed no peer would put both in one bucket.
    const auto login_from = [&](const std::string& source, int n) {
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket socket(io);
        socket.open(boost::asio::ip::tcp::v4());
        socket.bind({boost::asio::ip::make_address(source), 0});
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/auth/jwt/create/", 11};
        request.set(bhttp::field::content_type, "application/json");
        request.keep_alive(false);
        request.body() = R"({"username":"nobody-)" + std::to_string(n) + R"(","password":"wrong-guess"})";
        request.prepare_payload();
        bhttp::write(socket, request);
        boost::beast::flat_buffer buffer;
        bhttp::response<bhttp::string_body> response;
        bhttp::read(socket, buffer, response);
        return response.result_int();
    };
    int limited_at = 0;
    for (int i = 0; i < 40 && limited_at == 0; ++i)
        if (login_from("127.0.0.2", i) == 429) limited_at = i + 1;
    CHECK(limited_at == 31);
    CHECK(login_from("127.0.0.3", 100) == 401);
}

}  // namespace usermgmt::test
