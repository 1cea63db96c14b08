#include "usermgmt/media_store.hpp"

#include "crypto.hpp"

#include <fstream>
#include <iterator>

namespace usermgmt {

bool is_valid_media_key(std::string_view key)
{
    if (key.empty() || key.size() > 255) return false;
    std::size_t start = 0;
    while (true) {
        const auto slash = key.find('/', start);
        const auto segment = key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (segment.empty() || segment == "." || segment == "..") return false;
        for (char c : segment) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                            c == '_' || c == '-';
            if (!ok) return false;
        }
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

namespace {

class DirectoryMediaStore final : public MediaStore {
public:
    explicit DirectoryMediaStore(std::filesystem::path root) : root_(std::move(root)) {}

    Result<std::string> put(std::string_view folder, std::string_view extension, std::string_view bytes) override
    {
        const std::string key = std::string(folder) + "/" + detail::to_hex(detail::random_bytes(16)) + "." +
                                std::string(extension);
        if (!is_valid_media_key(key)) return fail(Errc::invalid_argument, "media: invalid folder or extension");
        const auto path = root_ / key;
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) return fail(Errc::storage_failure, "media: cannot create " + path.parent_path().string());
        const auto temp = path.string() + ".tmp";
        {
            std::ofstream out(temp, std::ios::binary);
            out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            if (!out.flush()) {
                std::filesystem::remove(temp, ec);
                return fail(Errc::storage_failure, "media: cannot write " + temp);
            }
        }
        // Readers see the whole file or none of it.
        std::filesystem::rename(temp, path, ec);
        if (ec) return fail(Errc::storage_failure, "media: cannot rename " + temp);
        return key;
    }

    Result<void> remove(std::string_view key) override
    {
        if (!is_valid_media_key(key)) return fail(Errc::invalid_argument, "media: invalid key");
        std::error_code ec;
        std::filesystem::remove(root_ / key, ec);
        if (ec) return fail(Errc::storage_failure, "media: cannot remove a file: " + ec.message());
        return {};
    }

    Result<std::string> read(std::string_view key) const override
    {
        if (!is_valid_media_key(key)) return fail(Errc::not_found, "media: invalid key");
        std::ifstream in(root_ / key, std::ios::binary);
        if (!in) return fail(Errc::not_found, "media: no such file");
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

private:
    std::filesystem::path root_;
};

}  // namespace

std::optional<ImageType> detect_image_type(std::string_view b) noexcept
{
    const auto starts = [&](std::string_view magic, std::size_t at = 0) {
        return b.size() >= at + magic.size() && b.substr(at, magic.size()) == magic;
    };
    // Signatures plus enough of the structure that a renamed text file is not taken for an image.
    if (starts("\x89PNG\r\n\x1a\n") && starts("IHDR", 12)) return ImageType::png;
    if (starts("\xFF\xD8\xFF") && b.size() >= 4) return ImageType::jpeg;
    if ((starts("GIF87a") || starts("GIF89a")) && b.size() >= 13) return ImageType::gif;
    if (starts("RIFF") && starts("WEBP", 8) && (starts("VP8 ", 12) || starts("VP8L", 12) || starts("VP8X", 12)))
        return ImageType::webp;
    return std::nullopt;
}

std::string_view file_extension(ImageType type) noexcept
{
    switch (type) {
    case ImageType::png: return "png";
    case ImageType::jpeg: return "jpg";
    case ImageType::gif: return "gif";
    case ImageType::webp: return "webp";
    }
    return "bin";
}

std::string_view content_type(ImageType type) noexcept
{
    switch (type) {
    case ImageType::png: return "image/png";
    case ImageType::jpeg: return "image/jpeg";
    case ImageType::gif: return "image/gif";
    case ImageType::webp: return "image/webp";
    }
    return "application/octet-stream";
}

std::unique_ptr<MediaStore> make_directory_media_store(std::filesystem::path root)
{
    return std::make_unique<DirectoryMediaStore>(std::move(root));
}

}  // namespace usermgmt
