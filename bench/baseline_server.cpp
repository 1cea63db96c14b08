// The baseline of every ratio: the smallest Beast server that answers one fixed 200 JSON body
// the size of a user object, on the same number of threads as the server under test.
//
// Usage: usermgmt-bench-baseline PORT THREADS
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// The size of `GET /auth/users/me/`'s answer for a seeded user.
const std::string body =
    R"({"id":1000001,"username":"bench-user-0000001","email":"bench-user-0000001@example.com","first_name":"First","last_name":"Last","avatar":null,"is_active":true,"date_joined":"2026-11-21T23:57:38.098402Z"})";

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket&& socket) : stream_(std::move(socket)) {}
    void run() { net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); }); }

private:
    void do_read()
    {
        request_ = {};
        stream_.expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->stream_.socket().close();
            self->do_write();
        });
    }

    void do_write()
    {
        auto response = std::make_shared<http::response<http::string_body>>(http::status::ok, request_.version());
        response->set(http::field::content_type, "application/json");
        response->keep_alive(request_.keep_alive());
        response->body() = body;
        response->prepare_payload();
        http::async_write(stream_, *response, [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
            if (ec || response->need_eof()) return self->stream_.socket().close();
            self->do_read();
        });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
};

void accept(tcp::acceptor& acceptor, net::io_context& ioc)
{
    acceptor.async_accept(net::make_strand(ioc), [&](beast::error_code ec, tcp::socket socket) {
        if (!ec) std::make_shared<Session>(std::move(socket))->run();
        accept(acceptor, ioc);
    });
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::cerr << "usage: usermgmt-bench-baseline PORT THREADS\n";
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::stoi(argv[1]));
    const int threads = std::max(1, std::stoi(argv[2]));
    net::io_context ioc{threads};
    tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), port}};
    accept(acceptor, ioc);
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
}
