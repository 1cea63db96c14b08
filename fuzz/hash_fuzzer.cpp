// Stored password hashes under attacker-chosen bytes: what an import or a hand-edited row could
// put in the password column. Reading never crashes; a hash cheap enough to verify in a fuzzing
// run is verified too (the cost bounds keep the others to seconds, too slow to fuzz).
#include "foreign_hashes.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

// Whether verifying `hash` is quick: few PBKDF2 iterations, bcrypt's cheapest costs, little
// Argon2 memory. The fuzzer learns these shapes from the corpus.
bool cheap(std::string_view hash, std::string_view format)
{
    const std::string text(hash);
    unsigned long iterations = 0, memory = 0, passes = 0;
    if (format == "pbkdf2_sha256" || format == "pbkdf2_sha1")
        return std::sscanf(text.c_str(), "%*[a-z0-9_]$%lu$", &iterations) == 1 && iterations <= 2000;
    if (format.find("bcrypt") != std::string_view::npos) return hash.find("$04$") != std::string_view::npos;
    const auto at = hash.find("m=");
    return at != std::string_view::npos &&
           std::sscanf(text.c_str() + at, "m=%lu,t=%lu", &memory, &passes) == 2 && memory <= 1024 && passes <= 2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace usermgmt::detail;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)stored_hash_format(input, usermgmt::Argon2Params{});
    const auto format = foreign_hash_format(input);
    if (format && cheap(input, *format)) (void)verify_foreign_hash(input, "Imported-pass-42");
    return 0;
}
