#include "wire.hpp"

#include <charconv>

namespace usermgmt::http::detail {

bool fits_one_buffer(const Response& response)
{
    return !response.chunked() && response.body().size() <= 16 * 1024;
}

void serialize_response(const Response& response, std::string& out)
{
    out.clear();
    out += response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    char code[4];
    const auto written = std::to_chars(code, code + sizeof code, response.result_int());
    out.append(code, written.ptr);
    out += ' ';
    out += response.reason();
    out += "\r\n";
    for (const auto& field : response.base()) {
        out += field.name_string();
        out += ": ";
        out += field.value();
        out += "\r\n";
    }
    out += "\r\n";
    out += response.body();
}

}  // namespace usermgmt::http::detail
