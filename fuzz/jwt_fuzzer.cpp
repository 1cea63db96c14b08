// The JWT verifier and the flat JSON reader under attacker-chosen bytes.
#include "flat_json.hpp"
#include "jwt.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)usermgmt::detail::verify_jwt("fuzz-secret-fuzz-secret-fuzz-secret!", input, 1'800'000'000);
    (void)usermgmt::detail::parse_flat_json_object(input);
    return 0;
}
