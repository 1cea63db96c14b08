#pragma once
/// @file media_store.hpp
/// The media port (avatar files) and its directory implementation.

#include "usermgmt/export.hpp"
#include "usermgmt/result.hpp"

#include <filesystem>
#include <optional>
#include <memory>
#include <string>
#include <string_view>

namespace usermgmt {

/// Image formats the service accepts as avatars, recognised by their bytes.
enum class ImageType { png, jpeg, gif, webp };

/// The format of `bytes` by its signature, or nullopt when it is none of the accepted ones.
[[nodiscard]] USERMGMT_EXPORT std::optional<ImageType> detect_image_type(std::string_view bytes) noexcept;
/// "png", "jpg", "gif", "webp".
[[nodiscard]] USERMGMT_EXPORT std::string_view file_extension(ImageType type) noexcept;
/// "image/png", ...
[[nodiscard]] USERMGMT_EXPORT std::string_view content_type(ImageType type) noexcept;

/// Whether `key` is a media key: one or more segments of [A-Za-z0-9._-], none of them "." or
/// "..", joined by '/', at most 255 characters (`avatars/3f9c….png`).
[[nodiscard]] USERMGMT_EXPORT bool is_valid_media_key(std::string_view key);

/// Stores uploaded files under keys such as `avatars/3f9c….png`. Thread-safe.
class USERMGMT_EXPORT MediaStore {
public:
    virtual ~MediaStore() = default;
    /// Stores `bytes` under a new random key in `folder` with `extension`; returns the key.
    [[nodiscard]] virtual Result<std::string> put(std::string_view folder, std::string_view extension,
                                                  std::string_view bytes) = 0;
    /// Removes the file of `key`; removing a missing key succeeds.
    [[nodiscard]] virtual Result<void> remove(std::string_view key) = 0;
    /// The bytes of `key`; `not_found` when missing or when the key is not a valid key.
    [[nodiscard]] virtual Result<std::string> read(std::string_view key) const = 0;
};

/// Files under one root directory (created if missing). Keys are checked: no `..`, no
/// absolute paths, only `[A-Za-z0-9._-]` segments.
[[nodiscard]] USERMGMT_EXPORT std::unique_ptr<MediaStore> make_directory_media_store(std::filesystem::path root);

}  // namespace usermgmt
