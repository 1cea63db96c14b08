#include "crypto.hpp"

#include <sodium.h>


namespace usermgmt::detail {

bool sodium_ready() noexcept
{
    // sodium_init is thread-safe, but calling it once keeps the hot path free of it.
    static const bool ready = sodium_init() >= 0;
    return ready;
}

std::string random_bytes(std::size_t n)
{
    sodium_ready();
    std::string out(n, '\0');
    randombytes_buf(out.data(), n);
    return out;
}

std::string to_hex(std::string_view bytes)
{
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    out.pop_back();
    return out;
}

bool from_hex(std::string_view hex, std::string& out)
{
    if (hex.size() % 2 != 0) return false;
    out.assign(hex.size() / 2, '\0');
    std::size_t written = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr,
                       &written, &end) != 0)
        return false;
    // sodium stops at the first non-hex character: demand that it consumed everything.
    return written == out.size() && end == hex.data() + hex.size();
}

std::string base64url_encode(std::string_view bytes)
{
    constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      variant);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
}

bool base64url_decode(std::string_view text, std::string& out)
{
    out.assign(text.size() * 3 / 4 + 3, '\0');
    std::size_t written = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                          nullptr, &written, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    if (end != text.data() + text.size()) return false;
    out.resize(written);
    return true;
}

std::string sha256(std::string_view data)
{
    std::string out(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size());
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data)
{
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    std::string out(crypto_auth_hmacsha256_BYTES, '\0');
    crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
    sodium_memzero(&state, sizeof state);
    return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept
{
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(std::string& secret) noexcept
{
    if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
    secret.clear();
}

}  // namespace usermgmt::detail
