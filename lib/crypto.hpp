#pragma once
// Thin wrappers over libsodium: the only place of the core that calls it for primitives.

#include <cstddef>
#include <string>
#include <string_view>

namespace usermgmt::detail {

/// Initialises libsodium once; safe to call from any thread, any number of times.
bool sodium_ready() noexcept;

/// `n` random bytes from the OS CSPRNG.
std::string random_bytes(std::size_t n);
/// Lower-case hex of `bytes`.
std::string to_hex(std::string_view bytes);
/// Bytes of a hex string; empty optional-like result signalled by `ok=false`.
bool from_hex(std::string_view hex, std::string& out);
/// Unpadded base64url.
std::string base64url_encode(std::string_view bytes);
/// Strict unpadded base64url decoding; false on any invalid character or length.
bool base64url_decode(std::string_view text, std::string& out);
/// SHA-256 digest (32 raw bytes).
std::string sha256(std::string_view data);
/// HMAC-SHA256 of `data` under `key` (any length).
std::string hmac_sha256(std::string_view key, std::string_view data);
/// Constant-time equality of two byte strings (length is not secret).
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;
/// Overwrites a string's bytes before it is released.
void wipe(std::string& secret) noexcept;

}  // namespace usermgmt::detail
