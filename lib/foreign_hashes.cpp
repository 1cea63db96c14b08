#include "foreign_hashes.hpp"

#include "crypto.hpp"

#include <crypt.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <limits>
#include <cstring>
#include <memory>

namespace usermgmt::detail {
namespace {

// Bounds on what one verification may cost: well above what the systems we import from write
// (Django 3.2: 260,000 PBKDF2 iterations, Django 5: 870,000; bcrypt cost 10-12; argon2-cffi:
// 100 MiB, 2 passes, 8 lanes), far below what would hold a hashing thread for minutes.
constexpr unsigned long max_pbkdf2_iterations = 10'000'000;
constexpr int min_bcrypt_cost = 4;
constexpr int max_bcrypt_cost = 16;
constexpr unsigned long max_argon2_memory_kib = 256ul * 1024;
constexpr unsigned long max_argon2_passes = 16;
constexpr unsigned long max_argon2_lanes = 16;
constexpr std::size_t max_salt_length = 256;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// A decimal number without sign or leading zero, at most `max`.
bool read_number(std::string_view text, unsigned long max, unsigned long& out)
{
    if (text.empty() || text.size() > 10 || text[0] == '0') return false;
    unsigned long value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value > max) return false;
    out = value;
    return true;
}

// ---- Django's pbkdf2_sha256 / pbkdf2_sha1: NAME$ITERATIONS$SALT$BASE64(DIGEST) ------------------

struct Pbkdf2 {
    const EVP_MD* digest_kind = nullptr;
    unsigned long iterations = 0;
    std::string_view salt;
    std::string digest;
};

std::optional<Pbkdf2> read_pbkdf2(std::string_view hash)
{
    Pbkdf2 p;
    std::size_t length = 0;
    if (starts_with(hash, "pbkdf2_sha256$")) {
        p.digest_kind = EVP_sha256();
        length = 32;
    } else if (starts_with(hash, "pbkdf2_sha1$")) {
        p.digest_kind = EVP_sha1();
        length = 20;
    } else {
        return std::nullopt;
    }
    std::array<std::string_view, 4> parts;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto end = i + 1 < parts.size() ? hash.find('$') : hash.size();
        if (end == std::string_view::npos) return std::nullopt;
        parts[i] = hash.substr(0, end);
        hash.remove_prefix(std::min(hash.size(), end + 1));
    }
    if (parts[3].find('$') != std::string_view::npos) return std::nullopt;
    if (!read_number(parts[1], max_pbkdf2_iterations, p.iterations)) return std::nullopt;
    p.salt = parts[2];
    if (p.salt.empty() || p.salt.size() > max_salt_length) return std::nullopt;
    // Python's base64.b64encode: the standard alphabet, padded.
    std::string decoded(parts[3].size(), '\0');
    std::size_t decoded_length = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), parts[3].data(),
                          parts[3].size(), nullptr, &decoded_length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != parts[3].data() + parts[3].size() || decoded_length != length)
        return std::nullopt;
    decoded.resize(decoded_length);
    p.digest = std::move(decoded);
    return p;
}

bool verify_pbkdf2(const Pbkdf2& p, std::string_view password)
{
    if (password.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
    std::string computed(p.digest.size(), '\0');
    const int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                     reinterpret_cast<const unsigned char*>(p.salt.data()), static_cast<int>(p.salt.size()),
                                     static_cast<int>(p.iterations), p.digest_kind, static_cast<int>(computed.size()),
                                     reinterpret_cast<unsigned char*>(computed.data()));
    return ok == 1 && equal_constant_time(computed, p.digest);
}

// ---- bcrypt: $2a$ / $2b$ / $2y$, two cost digits, 22 salt and 31 digest characters ------------

bool is_bcrypt(std::string_view hash)
{
    if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') return false;
    if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
    if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9') return false;
    const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost < min_bcrypt_cost || cost > max_bcrypt_cost) return false;
    for (char c : hash.substr(7)) {
        const bool ok = c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

bool verify_bcrypt(std::string_view hash, std::string_view password)
{
    // crypt reads a C string: a password with a NUL byte could only match by being cut short.
    if (password.find('\0') != std::string_view::npos) return false;
    std::string phrase(password);
    const std::string setting(hash);
    auto data = std::make_unique<crypt_data>();  // 32 KiB: not on a hashing thread's stack
    const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
    wipe(phrase);
    const bool match = out != nullptr && std::strlen(out) == setting.size() && equal_constant_time(out, setting);
    explicit_bzero(data.get(), sizeof(crypt_data));
    return match;
}

// ---- Argon2 in the PHC string format, as argon2-cffi and libsodium write it ------------------

// An Argon2 PHC string after its "$argon2id$" or "$argon2i$": "v=19$m=M,t=T,p=P$SALT$HASH", read
// strictly (digits only, no sign or space; salt and hash in unpadded standard base64).
struct Argon2Cost {
    unsigned long memory_kib = 0, passes = 0, lanes = 0;
};

std::optional<Argon2Cost> read_argon2(std::string_view text)
{
    if (!starts_with(text, "v=19$m=")) return std::nullopt;
    text.remove_prefix(7);
    Argon2Cost cost;
    const auto field = [&](char end, unsigned long& out) {
        const auto at = text.find(end);
        if (at == std::string_view::npos || !read_number(text.substr(0, at), 0xffffffffUL, out)) return false;
        text.remove_prefix(at + 1);
        return true;
    };
    if (!field(',', cost.memory_kib) || !starts_with(text, "t=")) return std::nullopt;
    text.remove_prefix(2);
    if (!field(',', cost.passes) || !starts_with(text, "p=")) return std::nullopt;
    text.remove_prefix(2);
    if (!field('$', cost.lanes)) return std::nullopt;
    const auto base64 = [](std::string_view part) {
        return part.size() >= 4 && std::all_of(part.begin(), part.end(), [](char c) {
                   return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
               });
    };
    const auto dollar = text.find('$');
    if (dollar == std::string_view::npos || !base64(text.substr(0, dollar)) || !base64(text.substr(dollar + 1)))
        return std::nullopt;
    return cost;
}

bool is_argon2(std::string_view hash)
{
    if (hash.size() >= crypto_pwhash_STRBYTES) return false;
    const bool id = starts_with(hash, "$argon2id$");
    if (!id && !starts_with(hash, "$argon2i$")) return false;
    const auto cost = read_argon2(hash.substr(id ? 10 : 9));
    return cost && cost->lanes >= 1 && cost->lanes <= max_argon2_lanes && cost->memory_kib >= 8 * cost->lanes &&
           cost->memory_kib <= max_argon2_memory_kib && cost->passes >= 1 && cost->passes <= max_argon2_passes;
}

bool verify_argon2(std::string_view hash, std::string_view password)
{
    // libsodium reads a buffer of crypto_pwhash_STRBYTES, NUL-terminated.
    std::array<char, crypto_pwhash_STRBYTES> text{};
    std::memcpy(text.data(), hash.data(), hash.size());
    if (starts_with(hash, "$argon2id$"))
        return crypto_pwhash_argon2id_str_verify(text.data(), password.data(), password.size()) == 0;
    return crypto_pwhash_argon2i_str_verify(text.data(), password.data(), password.size()) == 0;
}

// Django's BCryptSHA256PasswordHasher: bcrypt of the hex SHA-256 of the password, so that
// passwords longer than bcrypt's 72 bytes count whole.
std::string sha256_hex(std::string_view password)
{
    std::string digest = sha256(password);  // as good as the password for this format
    std::string hex = to_hex(digest);
    wipe(digest);
    return hex;
}

}  // namespace

std::optional<std::string_view> foreign_hash_format(std::string_view hash)
{
    if (read_pbkdf2(hash)) return starts_with(hash, "pbkdf2_sha256$") ? "pbkdf2_sha256" : "pbkdf2_sha1";
    if (starts_with(hash, "argon2$") && is_argon2(hash.substr(6))) return "django_argon2";
    if (starts_with(hash, "bcrypt_sha256$") && is_bcrypt(hash.substr(14))) return "django_bcrypt_sha256";
    if (starts_with(hash, "bcrypt$") && is_bcrypt(hash.substr(7))) return "django_bcrypt";
    if (is_bcrypt(hash)) return "bcrypt";
    if (is_argon2(hash)) return "argon2";
    return std::nullopt;
}

bool verify_foreign_hash(std::string_view hash, std::string_view password)
{
    const auto format = foreign_hash_format(hash);
    if (!format) return false;
    if (*format == "pbkdf2_sha256" || *format == "pbkdf2_sha1") return verify_pbkdf2(*read_pbkdf2(hash), password);
    if (*format == "django_argon2") return verify_argon2(hash.substr(6), password);
    if (*format == "argon2") return verify_argon2(hash, password);
    if (*format == "django_bcrypt_sha256") {
        std::string digest = sha256_hex(password);
        const bool match = verify_bcrypt(hash.substr(14), digest);
        wipe(digest);
        return match;
    }
    if (*format == "django_bcrypt") return verify_bcrypt(hash.substr(7), password);
    return verify_bcrypt(hash, password);
}

std::optional<std::string_view> unmark_imported(std::string_view stored)
{
    if (!starts_with(stored, imported_hash_marker)) return std::nullopt;
    return stored.substr(imported_hash_marker.size());
}

bool native_argon2id(std::string_view hash, const Argon2Params& ours)
{
    if (hash.size() >= crypto_pwhash_STRBYTES || !starts_with(hash, "$argon2id$")) return false;
    const auto cost = read_argon2(hash.substr(10));
    const unsigned long most_memory = std::max<unsigned long>(4ul * (ours.mem_limit_bytes / 1024), 256ul * 1024);
    const unsigned long most_passes = std::max<unsigned long>(4ul * ours.ops_limit, 10);
    return cost && cost->lanes == 1 && cost->memory_kib >= 8 && cost->memory_kib <= most_memory && cost->passes >= 1 &&
           cost->passes <= most_passes;
}

bool argon2id_string(std::string_view hash)
{
    return hash.size() < crypto_pwhash_STRBYTES && starts_with(hash, "$argon2id$") && read_argon2(hash.substr(10));
}

std::optional<std::string_view> stored_hash_format(std::string_view stored, const Argon2Params& ours)
{
    if (stored.empty()) return "none";
    if (argon2id_string(stored)) return native_argon2id(stored, ours) ? "argon2id" : "argon2id (other cost)";
    if (auto foreign = unmark_imported(stored)) return foreign_hash_format(*foreign);
    return std::nullopt;
}

}  // namespace usermgmt::detail
