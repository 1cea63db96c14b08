// Date, email, username, text and password rules under arbitrary input.
#include "usermgmt/types.hpp"
#include "validation.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace usermgmt;
    using namespace usermgmt::detail;
    static const auto passwords = *PasswordValidator::create(PasswordPolicy{});
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)Date::parse_iso(input);
    (void)Date::parse_dmy(input);
    (void)is_valid_email(input);
    (void)normalize_email(input);
    (void)is_clean_text(input);
    (void)utf8_length(input);
    FieldErrors errors;
    check_username("username", input, errors);
    check_email("email", input, errors);
    check_name("first_name", input, errors);
    check_avatar_text("avatar", input, errors);
    check_group_name("groups", input, errors);
    // The first half is the password, the second the user's attributes.
    const auto half = input.substr(0, input.size() / 2);
    const auto rest = input.substr(input.size() / 2);
    const PasswordContext context{rest, rest, half, rest};
    (void)passwords->check(half, &context);
    return 0;
}
