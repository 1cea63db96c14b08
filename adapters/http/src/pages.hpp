#pragma once
// The web pages (web/ in the source tree): static files embedded at build time (into a
// pages_files.cpp that adapters/http/CMakeLists.txt writes) and served under
// `HttpSettings::pages_prefix` with their content type, a validator for caching, and a
// Content-Security-Policy that allows no inline script.

#include "usermgmt/http/message.hpp"
#include "usermgmt/http/settings.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace usermgmt::http::detail {

/// One embedded file.
struct PageFile {
    std::string_view name;          ///< relative to the pages' prefix ("index.html", "js/api.js")
    std::string_view content_type;
    std::string_view etag;          ///< a strong validator: the file's SHA-256, quoted
    std::string_view body;
};

/// The files of web/ as they were at build time (web/config.json excepted: see `Pages`).
std::span<const PageFile> embedded_pages() noexcept;

/// The pages of one handler.
class Pages {
public:
    /// `settings.pages_prefix` must be empty (no pages) or start and end with '/'.
    explicit Pages(const HttpSettings& settings);

    /// Whether `path` is one of the pages' paths (the prefix itself, a file, the prefix without
    /// its slash, config.json). Never true without a prefix.
    [[nodiscard]] bool owns(std::string_view path) const noexcept;
    /// The answer for a request to a path `owns` accepted: the file (304 when the client's copy
    /// is current), a redirect to the prefix, or 405.
    [[nodiscard]] Response answer(const Request& request) const;

private:
    const PageFile* find(std::string_view path) const noexcept;

    std::string prefix_;
    std::string config_path_;  ///< prefix_ + "config.json"
    /// config.json: where the API is (this origin) and its /auth prefix, for the pages' script.
    std::string config_;
    std::string config_etag_;
};

}  // namespace usermgmt::http::detail
