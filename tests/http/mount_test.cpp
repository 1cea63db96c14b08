// An application mounts the handler in its own Beast server, next to its own routes.
#include "http_fixture.hpp"

#include <algorithm>
#include <thread>
#include <vector>

using namespace usermgmt;
using namespace usermgmt::test;
using bhttp::verb;

namespace {

// The application's server: a plain synchronous Beast loop with one route of its own.
class AppServer {
public:
    explicit AppServer(const http::Handler& handler)
        : handler_(handler), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0})
    {
        thread_ = std::thread([this] { serve(); });
    }
    ~AppServer()
    {
        stopping_ = true;
        // Wake the blocking accept with one last connection.
        boost::asio::ip::tcp::socket poke(ioc_);
        boost::system::error_code ec;
        poke.connect(acceptor_.local_endpoint(), ec);
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

private:
    void serve()
    {
        while (!stopping_) {
            boost::asio::ip::tcp::socket socket(ioc_);
            acceptor_.accept(socket);
            boost::beast::flat_buffer buffer;
            boost::system::error_code ec;
            while (!stopping_) {
                http::Request request;
                bhttp::read(socket, buffer, request, ec);
                if (ec) break;
                http::Response response;
                if (handler_.owns(request.target())) {
                    response = handler_.handle(request, http::Peer{"127.0.0.1"});
                } else {
                    response = http::Response{bhttp::status::ok, request.version()};
                    response.set(bhttp::field::content_type, "text/plain");
                    response.body() = "the application's own route";
                    response.prepare_payload();
                }
                bhttp::write(socket, response, ec);
                if (ec || !request.keep_alive()) break;
            }
        }
    }

    const http::Handler& handler_;
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("The handler mounted in an application's own Beast server", "[http][mount]")
{
    HttpFixture f;  // its own server is not used here: only its service and handler
    AppServer app(*f.handler);
    Client client(app.port());
    auto own = client.send(verb::get, "/app/hello");
    CHECK(own.status == 200);
    CHECK(own.body == "the application's own route");
    auto registered = client.send(verb::post, "/auth/users/",
                                  json::serialize(json::object{{"username", "mounted"},
                                                               {"email", "mounted@example.com"},
                                                               {"password", strong_password},
                                                               {"re_password", strong_password}}));
    CHECK(registered.status == 201);
    CHECK(client.send(verb::get, "/healthz").status == 200);
    CHECK(client.send(verb::get, "/auth/users/me/").status == 401);
    CHECK_FALSE(f.handler->owns("/app/hello"));
    CHECK(f.handler->owns("/auth/users/?x=1"));
}

TEST_CASE("async_handle with an executor: an application's own io_context runs until every answer is given", "[http][mount]")
{
    HttpFixture f;
    f.make_user("amy");
    const auto auth = f.bearer("amy");
    // On PostgreSQL each request waits off this thread for the change check and comes back to
    // the executor; the context must count it as work meanwhile, or run() would return with the
    // answers never given. On SQLite the answer comes at once. Either way: every answer, once.
    boost::asio::io_context ioc;
    constexpr int requests = 20;
    int answered = 0;
    std::vector<unsigned> statuses;
    for (int i = 0; i < requests; ++i) {
        http::Request request{bhttp::verb::get, i % 2 ? "/auth/users/me/" : "/users", 11};
        request.set(bhttp::field::authorization, auth.at("Authorization"));
        f.handler->async_handle(std::move(request), http::Peer{"127.0.0.1"}, ioc.get_executor(),
                                [&](http::Response response) {
                                    ++answered;  // the pools' threads and ioc's run() never overlap here: reads answer on ioc
                                    statuses.push_back(response.result_int());
                                });
    }
    ioc.run();
    CHECK(answered == requests);
    CHECK(std::count(statuses.begin(), statuses.end(), 200u) == requests);
    // A request for a path outside the styles never waits for a check.
    bool health = false;
    f.handler->async_handle(http::Request{bhttp::verb::get, "/healthz", 11}, http::Peer{"127.0.0.1"}, ioc.get_executor(),
                            [&](http::Response response) { health = response.result_int() == 200; });
    CHECK(health);  // answered before async_handle returned
}
