#pragma once
/// @file message.hpp
/// What goes in and out of the HTTP adapter: a Beast request, a Beast response, and the peer the
/// request came from. A small header of its own, so that code that only builds or reads messages
/// does not depend on the handler.

#include "usermgmt/http/export.hpp"
#include <boost/beast/http.hpp>

#include <string>

namespace usermgmt::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// Where a request came from: the socket's remote address. Throttling counts attempts per
/// client address (the peer, or what a trusted proxy forwarded) and access logs print it, so a
/// server must pass the real one: an empty or shared address puts every client in one bucket.
struct USERMGMT_HTTP_EXPORT Peer {
    std::string address;
};

}  // namespace usermgmt::http
