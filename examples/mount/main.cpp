// Mounting usermgmt's HTTP handler in an application's own Beast server, beside its own routes
// (docs/http-api.md, "Mounting"). A plain synchronous server, one thread per connection, as
// Beast's http_server_sync example: what matters here is the four things a mount must do.
//
//   usermgmt-mount-example ADDRESS:PORT DATA_DIR      e.g. 127.0.0.1:8080 ./data
//
// The application answers GET /hello itself; everything handler.owns() (/auth/, /users,
// /media/, /healthz, /readyz, /openapi.json, /metrics) goes to usermgmt.
#include <usermgmt/http/handler.hpp>
#include <usermgmt/usermgmt.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <iostream>
#include <thread>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

// The application's own route.
usermgmt::http::Response hello(const usermgmt::http::Request& request)
{
    usermgmt::http::Response response{bhttp::status::ok, request.version()};
    response.set(bhttp::field::content_type, "text/plain");
    response.keep_alive(request.keep_alive());
    response.body() = "hello from the application\n";
    response.prepare_payload();
    return response;
}

void serve(tcp::socket socket, const usermgmt::http::Handler& handler)
{
    beast::error_code ec;
    // 1. The peer: the socket's remote address. usermgmt throttles per client address; without
    //    it every client would share one bucket (a few failed logins would lock everyone out).
    const usermgmt::http::Peer peer{socket.remote_endpoint(ec).address().to_string()};
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(16 * 1024);
        parser.body_limit(boost::none);  // not Beast's 1 MiB default: the real limit comes below
        bhttp::read_header(socket, buffer, parser, ec);
        if (ec) return;  // closed, or not HTTP: a real server would answer 400/431 first
        const auto& header = parser.get();
        // 2. The body limit comes from the handler for its routes (uploads may be larger).
        const std::size_t limit = handler.owns(header.target()) ? handler.body_limit(header.base()) : 64 * 1024;
        parser.body_limit(limit);
        bool close = false;
        usermgmt::http::Response response;
        if (const auto length = parser.content_length(); length && *length > limit) {
            // 3. A body too large is answered in the route style's format, then the connection
            //    closes: the unread rest of the body is still on it.
            usermgmt::http::Request head{header.method(), header.target(), header.version()};
            response = handler.reject(head, 413, "Request body too large.", peer);
            close = true;
        } else {
            bhttp::read(socket, buffer, parser, ec);
            if (ec == bhttp::error::body_limit) {
                usermgmt::http::Request head{header.method(), header.target(), header.version()};
                response = handler.reject(head, 413, "Request body too large.", peer);
                close = true;
            } else if (ec) {
                return;
            } else {
                const auto request = parser.release();
                // 4. Dispatch: usermgmt's paths to the handler (it answers on this thread, password
                //    hashing included; async_handle would run hashes on its pool instead).
                if (handler.owns(request.target())) response = handler.handle(request, peer);
                else if (request.method() == bhttp::verb::get && request.target() == "/hello") response = hello(request);
                else {
                    response = {bhttp::status::not_found, request.version()};
                    response.keep_alive(request.keep_alive());
                    response.prepare_payload();
                }
            }
        }
        // The handler's responses are complete: version, keep-alive, Content-Length are set.
        if (close) response.keep_alive(false);
        bhttp::write(socket, response, ec);
        if (ec || !response.keep_alive()) break;
    }
    // Closing with unread bytes on the socket would reset the connection before the client reads
    // the answer: stop sending, then read what is left (a bounded amount) until it closes.
    socket.shutdown(tcp::socket::shutdown_send, ec);
    char sink[16 * 1024];
    for (std::size_t drained = 0; !ec && drained < 16 * 1024 * 1024;) drained += socket.read_some(net::buffer(sink), ec);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        std::cerr << "usage: usermgmt-mount-example ADDRESS:PORT DATA_DIR\n";
        return 2;
    }
    const std::string listen = argv[1];
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) return 2;
    const std::filesystem::path data = argv[2];
    std::filesystem::create_directories(data);

    usermgmt::Config config;
    config.jwt_secret = "change me: at least 32 random bytes, the same on every node";
    usermgmt::Ports ports;
    auto store = usermgmt::open_sqlite_store(data / "users.db");
    if (!store) {
        std::cerr << store.error().message << "\n";
        return 1;
    }
    ports.store = std::move(*store);
    ports.notifier = std::make_unique<usermgmt::TemplateMailer>(usermgmt::MailTemplates{},
                                                                std::make_unique<usermgmt::ConsoleTransport>());
    ports.media = usermgmt::make_directory_media_store(data / "media");
    auto service = usermgmt::UserService::create(config, std::move(ports));
    if (!service) {
        std::cerr << service.error().message << "\n";
        return 1;
    }
    const usermgmt::http::Handler handler(**service, usermgmt::http::HttpSettings{});

    net::io_context io;
    tcp::acceptor acceptor(io, {net::ip::make_address(listen.substr(0, colon)),
                                static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))});
    std::cout << "listening on http://" << listen.substr(0, colon) << ":" << acceptor.local_endpoint().port() << "/"
              << std::endl;
    for (;;) {
        tcp::socket socket(io);
        acceptor.accept(socket);
        std::thread(serve, std::move(socket), std::cref(handler)).detach();
    }
}
