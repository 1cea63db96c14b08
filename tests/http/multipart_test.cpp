#include "common/multipart.hpp"
#include "common/request_body.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt::http::detail;

namespace {

std::optional<std::vector<MultipartPart>> parse(const std::string& body, std::string& error, MultipartLimits limits = {})
{
    return parse_multipart(body, "b", limits, error);
}

}  // namespace

TEST_CASE("Multipart: fields and files - with a preamble and quoted parameters", "[multipart]")
{
    std::string error;
    const std::string body =
        "preamble\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n"
        "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x \\\"y\\\".png\"\r\nContent-Type: image/png\r\n\r\n"
        "\r\nbinary\r\n\r\n--b--\r\nepilogue";
    auto parts = parse(body, error);
    REQUIRE(parts);
    REQUIRE(parts->size() == 2);
    CHECK((*parts)[0].name == "a");
    CHECK((*parts)[0].data == "one");
    CHECK_FALSE((*parts)[0].filename);
    CHECK((*parts)[1].filename == std::string("x \"y\".png"));
    CHECK((*parts)[1].content_type == "image/png");
    CHECK((*parts)[1].data == "\r\nbinary\r\n");
}

TEST_CASE("Multipart: binary data with NUL bytes and CRLFs survives", "[multipart]")
{
    std::string error;
    const std::string data("\0\r\n--\r\n-b\0", 10);
    const std::string body = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"d\"\r\n\r\n" + data + "\r\n--b--";
    auto parts = parse(body, error);
    REQUIRE(parts);
    CHECK((*parts)[0].data == data);
}

TEST_CASE("Multipart: several files and fields in one body keep their order", "[multipart]")
{
    std::string error;
    std::string body;
    for (const char* name : {"avatar", "other", "avatar"})
        body += std::string("--b\r\nContent-Disposition: form-data; name=\"") + name + "\"; filename=\"" + name +
                ".png\"\r\n\r\n" + name + "-data\r\n";
    body += "--b\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n--b--\r\n";
    auto parts = parse(body, error);
    REQUIRE(parts);
    REQUIRE(parts->size() == 4);
    CHECK((*parts)[0].data == "avatar-data");
    CHECK((*parts)[1].name == "other");
    CHECK((*parts)[2].filename == std::string("avatar.png"));
    CHECK_FALSE((*parts)[3].filename);
}

TEST_CASE("Multipart: malformed bodies are refused with a reason", "[multipart]")
{
    std::string error;
    CHECK_FALSE(parse("no boundary here", error));
    CHECK(error == "no opening boundary");
    CHECK_FALSE(parse("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntruncated", error));
    CHECK(error == "truncated part");
    CHECK_FALSE(parse("--b\r\nContent-Disposition: form-data; name=\"a\"", error));
    CHECK(error == "truncated part headers");
    CHECK_FALSE(parse("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", error));
    CHECK(error == "part without Content-Disposition");
    CHECK_FALSE(parse("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", error));
    CHECK(error == "part without a name");
    CHECK_FALSE(parse("--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", error));
    CHECK_FALSE(parse("--b\r\nno colon\r\n\r\nx\r\n--b--", error));
    CHECK_FALSE(parse("--bXYZ", error));
    CHECK_FALSE(parse("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", error));
}

TEST_CASE("Multipart: limits on parts and on header size", "[multipart]")
{
    std::string error;
    std::string many;
    for (int i = 0; i < 5; ++i) many += "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n";
    many += "--b--";
    CHECK(parse(many, error, MultipartLimits{5, 8192}));
    CHECK_FALSE(parse(many, error, MultipartLimits{4, 8192}));
    CHECK(error == "too many parts");
    const std::string huge = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " + std::string(10000, 'x') +
                             "\r\n\r\nx\r\n--b--";
    CHECK_FALSE(parse(huge, error));
    CHECK(error == "part headers too large");
}

TEST_CASE("Multipart: the boundary parameter", "[multipart]")
{
    CHECK(multipart_boundary("multipart/form-data; boundary=abc") == std::string("abc"));
    CHECK(multipart_boundary("multipart/form-data; charset=utf-8; boundary=\"a b\"") == std::string("a b"));
    CHECK(multipart_boundary("Multipart/Form-Data;BOUNDARY=x") == std::string("x"));
    CHECK_FALSE(multipart_boundary("multipart/form-data"));
    CHECK_FALSE(multipart_boundary("multipart/form-data; boundary="));
    CHECK_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
}

TEST_CASE("Form-urlencoded pairs decode as Django's QueryDict does", "[urlencoded]")
{
    auto pairs = parse_urlencoded("a=1&b=x+y%21&c&=e&&d=%zz&a=2");
    REQUIRE(pairs.size() == 6);
    CHECK(pairs[0] == std::pair<std::string, std::string>{"a", "1"});
    CHECK(pairs[1].second == "x y!");
    CHECK(pairs[2] == std::pair<std::string, std::string>{"c", ""});
    CHECK(pairs[3] == std::pair<std::string, std::string>{"", "e"});
    CHECK(pairs[4].second == "%zz");  // an invalid escape stays as it is
    CHECK(pairs[5].second == "2");
}
