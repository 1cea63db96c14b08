// Our multipart parser, with the boundary taken from the first bytes.
#include "common/multipart.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace usermgmt::http::detail;
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t boundary_length = 1 + data[0] % 8;
    const std::string_view boundary = input.substr(1, boundary_length);
    std::string error;
    (void)parse_multipart(input.substr(std::min(size, 1 + boundary_length)), boundary.empty() ? "b" : boundary,
                          MultipartLimits{8, 512}, error);
    (void)multipart_boundary(input);
    return 0;
}
