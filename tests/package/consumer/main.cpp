// Includes only the public umbrella header: it must compile without Boost, sqlite3.h or sodium.h.
#include <usermgmt/usermgmt.hpp>
#ifdef USERMGMT_CONSUMER_HTTP
#include <usermgmt/http/handler.hpp>
#endif

#include <iostream>

int main(int argc, char** argv)
{
    if (argc < 2) return 2;
    usermgmt::Config config;
    config.jwt_secret = "consumer-secret-consumer-secret-0123";
    config.argon2 = usermgmt::Argon2Params::cheapest_for_tests();
    config.require_activation = false;
    auto store = usermgmt::open_sqlite_store(std::string(argv[1]) + "/consumer.db");
    if (!store) return 1;
    usermgmt::Ports ports;
    ports.store = std::move(*store);
    auto service = usermgmt::UserService::create(config, std::move(ports));
    if (!service) return 1;
    usermgmt::NewUser user;
    user.username = "consumer";
    user.email = "consumer@example.com";
    user.password = "Consumer-Passphrase-1";
    if (!(*service)->register_user(user)) return 1;
    auto tokens = (*service)->login("consumer", "Consumer-Passphrase-1");
    if (!tokens || !(*service)->authenticate(tokens->access)) return 1;
#ifdef USERMGMT_CONSUMER_HTTP
    // The adapter from the same package answers a request without any socket.
    usermgmt::http::Handler handler(**service, usermgmt::http::HttpSettings{});
    usermgmt::http::Request request{boost::beast::http::verb::get, "/healthz", 11};
    if (handler.handle(request, usermgmt::http::Peer{"127.0.0.1"}).result_int() != 200) return 1;
    std::cout << "http ok\n";
#endif
    std::cout << "consumer ok\n";
    return 0;
}
