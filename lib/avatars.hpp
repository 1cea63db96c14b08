#pragma once
// The media side of a profile: checking an uploaded avatar image, storing it, and removing files
// a user no longer references.

#include "usermgmt/config.hpp"
#include "usermgmt/error.hpp"
#include "usermgmt/media_store.hpp"
#include "usermgmt/types.hpp"

#include <string>
#include <string_view>

namespace usermgmt::detail {

class Avatars {
public:
    /// `media` may be null: uploads are then refused with a field error.
    Avatars(const Config& config, MediaStore* media) : config_(config), media_(media) {}

    /// Field errors of an uploaded image (size, type, uploads enabled).
    void check(std::string_view bytes, FieldErrors& errors) const;
    /// Stores a checked image; returns its media key.
    Result<std::string> store(std::string_view bytes) const;
    /// Removes the file of `before`'s avatar when `after` no longer references it (best effort:
    /// a leftover file is harmless). `User{}` as `after` drops it whatever it was.
    void drop(const User& before, const User& after) const;
    /// Removes a stored file that no row took (best effort).
    void discard(const std::string& key) const;

private:
    const Config& config_;
    MediaStore* media_;
};

}  // namespace usermgmt::detail
