// The form-urlencoded reader.
#include "common/request_body.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    (void)usermgmt::http::detail::parse_urlencoded(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
