#include "usermgmt/media_store.hpp"

#include "../support/temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace usermgmt;
using namespace std::string_literals;

namespace {
const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0", 29);
}

TEST_CASE("Images are recognised by their bytes", "[media]")
{
    CHECK(detect_image_type(png) == ImageType::png);
    CHECK(detect_image_type(std::string("\xFF\xD8\xFF\xE0rest", 8)) == ImageType::jpeg);
    CHECK(detect_image_type("GIF89a\x01\x00\x01\x00\x00\x00\x00"s) == ImageType::gif);
    CHECK(detect_image_type("RIFF\x10\x00\x00\x00WEBPVP8 abcd"s) == ImageType::webp);
    CHECK_FALSE(detect_image_type("hello world"));
    CHECK_FALSE(detect_image_type(""));
    CHECK_FALSE(detect_image_type("\x89PNG\r\n\x1a\n"));  // signature alone
    CHECK(content_type(ImageType::webp) == "image/webp");
    CHECK(file_extension(ImageType::jpeg) == "jpg");
}

TEST_CASE("The directory store keeps files under random keys", "[media]")
{
    test::TempDir dir;
    auto media = make_directory_media_store(dir / "media");
    auto key = media->put("avatars", "png", png);
    REQUIRE(key);
    CHECK(key->rfind("avatars/", 0) == 0);
    CHECK(key->size() == std::string("avatars/").size() + 32 + 4);
    CHECK(*media->read(*key) == png);
    CHECK(std::filesystem::exists(dir / "media" / *key));
    CHECK(*media->put("avatars", "png", png) != *key);
    REQUIRE(media->remove(*key));
    CHECK_FALSE(std::filesystem::exists(dir / "media" / *key));
    CHECK(media->remove(*key));  // removing again is fine
    CHECK(media->read(*key).error().code == Errc::not_found);
}

TEST_CASE("Keys cannot leave the media directory", "[media]")
{
    test::TempDir dir;
    auto media = make_directory_media_store(dir / "media");
    for (const char* bad : {"../secret", "/etc/passwd", "avatars/../../x", "a//b", "", "a/./b", "a b", "a\\b"}) {
        CHECK_FALSE(media->read(bad));
        CHECK_FALSE(media->remove(bad));
    }
    CHECK_FALSE(media->put("..", "png", png));
    CHECK_FALSE(media->put("avatars", "p/../ng", png));
}
