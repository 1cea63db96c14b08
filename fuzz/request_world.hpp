#pragma once
// What every fuzzed request runs against: a real UserService over a real SQLite file in a fresh
// temporary directory, the HTTP handler with both route styles, and a few accounts whose ids,
// tokens and one-time codes an input names with placeholders.

#include "last_code_notifier.hpp"

#include "usermgmt/http/handler.hpp"
#include "usermgmt/usermgmt.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace usermgmt::fuzz {

/// The good password of every account the world creates.
inline constexpr std::string_view world_password = "correct-Horse-battery-9";

/// Accounts (username, e-mail `<username>@example.com`, password `world_password`):
/// - `user`: active, with an avatar, a pending password reset and a pending username reset;
/// - `staff`: active staff, not superuser;
/// - `root`: active superuser;
/// - `inactive`: logged in once, then deactivated by root, with a pending activation.
///
/// Placeholders, replaced in the whole input before it is read (X is USER, STAFF, ROOT or INACTIVE):
/// `$ACCESS_X`, `$REFRESH_X` (the tokens of a login at start), `$ID_X` (decimal id), `$UID_X`
/// (the /auth style's base64url uid), `$PASSWORD`, `$ACTIVATION_UID`, `$ACTIVATION_TOKEN`,
/// `$RESET_UID`, `$RESET_TOKEN`, `$USERNAME_RESET_UID`, `$USERNAME_RESET_TOKEN` (the newest code
/// of each kind sent so far), `$PNG` (a tiny valid PNG) and `$AVATAR_URL` (user's avatar now).
class RequestWorld {
public:
    /// Builds everything; prints why and aborts when it cannot (nothing could be fuzzed).
    RequestWorld();
    /// Removes the directory and everything in it.
    ~RequestWorld();
    RequestWorld(const RequestWorld&) = delete;
    RequestWorld& operator=(const RequestWorld&) = delete;

    [[nodiscard]] const http::Handler& handler() const { return *handler_; }
    /// Where the database and media files are (kept after a crash, for a post-mortem).
    [[nodiscard]] const std::filesystem::path& directory() const { return dir_; }

    /// `text` with every placeholder replaced (the longest name wins: `$RESET_UID` before `$RESET_`).
    [[nodiscard]] std::string substitute(std::string_view text) const;

    /// "ok", or what SQLite's `PRAGMA integrity_check` reported about the database file.
    [[nodiscard]] std::string integrity_check() const;

private:
    struct Account {
        UserId id = 0;
        TokenPair tokens;
    };

    Account make_account(const std::string& username);
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> placeholders() const;

    std::filesystem::path dir_;
    LastCodeNotifier* notifier_ = nullptr;
    std::unique_ptr<UserService> service_;
    std::unique_ptr<http::Handler> handler_;
    std::vector<std::pair<std::string, std::string>> fixed_;  ///< placeholders whose value never changes
    UserId user_id_ = 0;
};

}  // namespace usermgmt::fuzz
