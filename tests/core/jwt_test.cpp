#include "jwt.hpp"

#include "crypto.hpp"
#include "flat_json.hpp"

#include "../support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace usermgmt;
using namespace usermgmt::detail;

namespace {

const std::string secret = "0123456789abcdef0123456789abcdef-jwt";
constexpr std::int64_t now = 1'800'000'000;

TokenClaims sample(TokenType type = TokenType::access)
{
    return TokenClaims{type, 42, "5e55i0n", "0123456789abcdef0123456789abcdef", now, now + 300};
}

std::string b64(std::string_view s)
{
    return base64url_encode(s);
}

// A token with any header and payload, signed (or not) under `key`.
std::string forge(std::string_view header, std::string_view payload, std::string_view key, bool sign = true)
{
    std::string t = b64(header) + "." + b64(payload);
    return t + "." + (sign ? b64(hmac_sha256(key, t)) : "");
}

const std::string good_payload =
    R"({"token_type":"access","exp":1800000300,"iat":1800000000,"jti":"j","user_id":42,"sid":"s"})";

// Runs a command, returns its standard output; exit status in `status`.
std::string run(const std::string& command, int& status)
{
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    status = pclose(pipe);
    return out;
}

}  // namespace

TEST_CASE("A signed token verifies and round-trips its claims", "[jwt]")
{
    const auto token = sign_jwt(secret, sample());
    auto claims = verify_jwt(secret, token, now + 10);
    REQUIRE(claims);
    CHECK(claims->type == TokenType::access);
    CHECK(claims->user_id == 42);
    CHECK(claims->session_id == "5e55i0n");
    CHECK(claims->jti == "0123456789abcdef0123456789abcdef");
    CHECK(claims->issued_at == now);
    CHECK(claims->expires_at == now + 300);
}

TEST_CASE("The header and payload are those simplejwt writes - plus sid", "[jwt]")
{
    const auto token = sign_jwt(secret, sample(TokenType::refresh));
    std::string header;
    std::string payload;
    REQUIRE(base64url_decode(token.substr(0, token.find('.')), header));
    const auto second = token.find('.', token.find('.') + 1);
    REQUIRE(base64url_decode(token.substr(token.find('.') + 1, second - token.find('.') - 1), payload));
    CHECK(header == R"({"alg":"HS256","typ":"JWT"})");
    CHECK(payload ==
          R"({"token_type":"refresh","exp":1800000300,"iat":1800000000,"jti":"0123456789abcdef0123456789abcdef","user_id":42,"sid":"5e55i0n"})");
}

TEST_CASE("Expired - forged - alg-none and malformed tokens are refused", "[jwt]")
{
    const auto token = sign_jwt(secret, sample());
    CHECK(verify_jwt(secret, token, now + 300).error().code == Errc::token_expired);
    CHECK(verify_jwt("another-key-another-key-another-key", token, now).error().code == Errc::token_invalid);

    // Every single-character change of the signature is caught.
    std::string tampered = token;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    CHECK(verify_jwt(secret, tampered, now).error().code == Errc::token_invalid);

    // alg none, with and without a signature part; and another algorithm signed with our key.
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"none","typ":"JWT"})", good_payload, secret, false), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"none"})", good_payload, secret, true), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"HS512","typ":"JWT"})", good_payload, secret), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"HS256","typ":"JWT","crit":"x"})", good_payload, secret), now));
    // The reference's own well-formed forgery passes only with every claim present.
    CHECK(verify_jwt(secret, forge(R"({"alg":"HS256","typ":"JWT"})", good_payload, secret), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"HS256"})", R"({"token_type":"access","exp":1800000300})", secret), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"HS256"})", R"({"token_type":"bogus","exp":1800000300,"iat":1,"jti":"j","user_id":1,"sid":"s"})", secret), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"HS256"})", R"({"token_type":"access","exp":"1800000300","iat":1,"jti":"j","user_id":1,"sid":"s"})", secret), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"HS256"})", R"({"user_id":1,"user_id":2,"token_type":"access","exp":1800000300,"iat":1,"jti":"j","sid":"s"})", secret), now));
    CHECK_FALSE(verify_jwt(secret, forge(R"({"alg":"HS256"})", "not json", secret), now));

    for (const char* junk : {"", ".", "..", "a.b", "a.b.c.d", "!!!.###.$$$", "eyJ.eyJ.", "a..b"})
        CHECK(verify_jwt(secret, junk, now).error().code == Errc::token_invalid);
    CHECK_FALSE(verify_jwt(secret, std::string(5000, 'a'), now));
}

TEST_CASE("The flat JSON reader is strict", "[jwt][json]")
{
    auto ok = parse_flat_json_object(R"( {"a":"x\u00e9\ud83d\ude00\n","b":-12,"c":1.5e3,"d":true,"e":null} )");
    REQUIRE(ok.has_value());
    CHECK(std::get<std::string>(ok->at("a")) == "x\xc3\xa9\xf0\x9f\x98\x80\n");
    CHECK(std::get<std::int64_t>(ok->at("b")) == -12);
    CHECK(std::get<double>(ok->at("c")) == 1500.0);
    CHECK(std::get<bool>(ok->at("d")));
    for (const char* bad : {"", "{", "[]", R"({"a":{}})", R"({"a":[1]})", R"({"a":1,})", R"({"a":01})",
                            R"({"a":"\ud800"})", R"({"a":"\x"})", "{\"a\":\"\x01\"}", R"({"a":1} x)", R"({a:1})",
                            R"({"a":1e999})", R"({"a":tru})"})
        CHECK_FALSE(parse_flat_json_object(bad).has_value());
    CHECK(json_quote("a\"b\\\n\x01") == R"("a\"b\\\n\u0001")");
}

TEST_CASE("An independent JWT implementation (python3-jwt) agrees with ours", "[jwt][interop]")
{
    int status = 0;
    run("/usr/bin/python3 -c 'import jwt' 2>/dev/null", status);
    if (status != 0) FAIL("python3-jwt is not installed: apt-get install python3-jwt (scripts/install-deps.sh does)");

    test::TempDir dir;
    const std::int64_t real_now = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    TokenClaims claims = sample();
    claims.issued_at = real_now;
    claims.expires_at = real_now + 300;
    const auto ours = sign_jwt(secret, claims);
    {
        std::ofstream(dir / "secret") << secret;
        std::ofstream(dir / "token") << ours;
    }
    const std::string script = R"PY(
import jwt, sys, json
d = sys.argv[1]
secret = open(d + "/secret").read()
claims = jwt.decode(open(d + "/token").read(), secret, algorithms=["HS256"])
print(json.dumps(claims, sort_keys=True))
payload = {"token_type": "access", "exp": claims["exp"], "iat": claims["iat"], "jti": "ab" * 16,
           "user_id": 7, "sid": "py-session"}
open(d + "/theirs", "w").write(jwt.encode(payload, secret, algorithm="HS256"))
open(d + "/none", "w").write(jwt.encode(payload, None, algorithm="none"))
open(d + "/otherkey", "w").write(jwt.encode(payload, "x" * 40, algorithm="HS256"))
open(d + "/hs512", "w").write(jwt.encode(payload, secret, algorithm="HS512"))
)PY";
    {
        std::ofstream(dir / "check.py") << script;
    }
    const auto out = run("/usr/bin/python3 " + (dir / "check.py").string() + " " + dir.path().string(), status);
    REQUIRE(status == 0);
    CHECK(out.find("\"sid\": \"5e55i0n\"") != std::string::npos);
    CHECK(out.find("\"token_type\": \"access\"") != std::string::npos);
    CHECK(out.find("\"user_id\": 42") != std::string::npos);

    const auto read = [&](const char* name) {
        std::ifstream in(dir / name);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    auto theirs = verify_jwt(secret, read("theirs"), real_now);
    REQUIRE(theirs);
    CHECK(theirs->user_id == 7);
    CHECK(theirs->session_id == "py-session");
    CHECK_FALSE(verify_jwt(secret, read("none"), real_now));
    CHECK_FALSE(verify_jwt(secret, read("otherkey"), real_now));
    CHECK_FALSE(verify_jwt(secret, read("hs512"), real_now));
}
