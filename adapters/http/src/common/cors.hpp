#pragma once
// Cross-origin resource sharing: preflight answers and the headers of actual responses.

#include "usermgmt/http/message.hpp"
#include "usermgmt/http/settings.hpp"

#include <optional>

namespace usermgmt::http::detail {

class Cors {
public:
    explicit Cors(const CorsSettings& settings) : settings_(settings) {}
    /// The answer to a preflight request (OPTIONS with Origin and Access-Control-Request-Method),
    /// or nullopt when the request is not one.
    [[nodiscard]] std::optional<Response> preflight(const Request& request) const;
    /// Adds the CORS headers to an actual response when its request's origin is allowed.
    void decorate(const Request& request, Response& response) const;

private:
    [[nodiscard]] bool allowed(std::string_view origin) const;
    void allow_origin(std::string_view origin, Response& response) const;
    const CorsSettings& settings_;
};

}  // namespace usermgmt::http::detail
