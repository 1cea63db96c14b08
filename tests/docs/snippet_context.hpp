#pragma once
// What the documentation's C++ fragments take from the reader's own program, declared so that
// each fragment compiles as written (tests/docs/extract_snippets.py). Nothing here runs: the
// fragments are compiled, the whole programs (the README's, examples/) are also run.

#include <usermgmt/http/server.hpp>
#include <usermgmt/usermgmt.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

namespace snippets {

// The reader's functions the fragments call.
std::string load_secret();
std::string smtp_password();
void unauthorized();
template <class... Args>
void log(Args&&...)
{
}
template <class... Args>
void show(Args&&...)
{
}

}  // namespace snippets

// The reader's objects the fragments use: every fragment gets all of them as parameters (a
// fragment that makes one of its own declares it in its own block).
#define SNIPPET_PARAMETERS                                                                                 \
    std::unique_ptr<usermgmt::UserService>& service, usermgmt::Ports& ports,                               \
        const std::string& access_token, const usermgmt::NewUser& input, usermgmt::http::Request& request, \
        boost::asio::ip::tcp::socket& socket
