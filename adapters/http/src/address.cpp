#include "usermgmt/http/address.hpp"

#include "common/text.hpp"

#include <boost/asio/ip/address.hpp>

namespace usermgmt::http {

std::optional<std::string> normalize_address(std::string_view text)
{
    namespace ip = boost::asio::ip;
    text = detail::trim_ascii(text);
    // The parser reads a C string: "10.0.0.1\0junk" must not pass as 10.0.0.1.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    boost::system::error_code ec;
    const auto address = ip::make_address(std::string(text), ec);
    if (ec) return std::nullopt;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they are the IPv4 address.
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return ip::make_address_v4(ip::v4_mapped, address.to_v6()).to_string();
    return address.to_string();
}

}  // namespace usermgmt::http
