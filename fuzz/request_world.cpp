#include "request_world.hpp"

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <system_error>
#include <unistd.h>

namespace usermgmt::fuzz {

namespace {

// The smallest PNG header media detection accepts (as the HTTP tests upload).
const std::string tiny_png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0", 29);

[[noreturn]] void give_up(const std::string& what, const Error& error)
{
    std::fprintf(stderr, "fuzz_request: cannot build the world: %s: %s\n", what.c_str(), error.message.c_str());
    std::abort();
}

template <class T>
T must(Result<T> result, const std::string& what)
{
    if (!result) give_up(what, result.error());
    return std::move(*result);
}

void must(Result<void> result, const std::string& what)
{
    if (!result) give_up(what, result.error());
}

// tmpfs when there is one: the store commits with synchronous=FULL, and an fsync per write on a
// disk would make each iteration wait for it. TMPDIR still wins when set.
std::filesystem::path fresh_directory()
{
    std::filesystem::path base = std::filesystem::temp_directory_path();
    if (!std::getenv("TMPDIR") && access("/dev/shm", W_OK) == 0) base = "/dev/shm";
    std::string pattern = (base / "usermgmt-fuzz-XXXXXX").string();
    if (!mkdtemp(pattern.data())) give_up("mkdtemp in " + base.string(), fail(Errc::internal, "mkdtemp failed"));
    return pattern;
}

}  // namespace

RequestWorld::RequestWorld() : dir_(fresh_directory())
{
    Config config;
    config.jwt_secret = "fuzz-secret-fuzz-secret-fuzz-secret-0123456789";
    config.argon2 = Argon2Params::cheapest_for_tests();
    Ports ports;
    ports.store = must(open_sqlite_store(dir_ / "users.db"), "open the store");
    auto notifier = std::make_unique<LastCodeNotifier>();
    notifier_ = notifier.get();
    ports.notifier = std::move(notifier);
    ports.media = make_directory_media_store(dir_ / "media");
    service_ = must(UserService::create(std::move(config), std::move(ports)), "create the service");
    http::HttpSettings settings;
    // Both route styles as mounted by default; one thread per pool, as `handle` never uses them.
    settings.hashing_threads = 1;
    settings.store_threads = 1;
    handler_ = std::make_unique<http::Handler>(*service_, settings);

    auto root = must(service_->create_superuser("root", "root@example.com", world_password), "create root");
    auto root_tokens = must(service_->login("root", world_password), "log root in");
    const Principal root_principal = must(service_->authenticate(root_tokens.access), "authenticate root");
    const Account user = make_account("user");
    const Account staff = make_account("staff");
    const Account inactive = make_account("inactive");

    UserPatch promote;
    promote.is_staff = true;
    must(service_->update_user(root_principal, staff.id, promote), "promote staff");
    UserPatch deactivate;
    deactivate.is_active = false;
    must(service_->update_user(root_principal, inactive.id, deactivate), "deactivate inactive");
    // Pending one-time codes, so that confirmations can succeed from the first input on.
    must(service_->resend_activation("inactive@example.com"), "resend activation");
    must(service_->request_password_reset("user@example.com"), "request a password reset");
    must(service_->request_username_reset("user@example.com"), "request a username reset");
    must(service_->set_avatar(Principal{user.id, {}, false, false, {}}, user.id, tiny_png), "upload an avatar");
    user_id_ = user.id;

    const auto add = [this](const std::string& name, const Account& account) {
        fixed_.emplace_back("$ACCESS_" + name, account.tokens.access);
        fixed_.emplace_back("$REFRESH_" + name, account.tokens.refresh);
        fixed_.emplace_back("$ID_" + name, std::to_string(account.id));
        fixed_.emplace_back("$UID_" + name, encode_uid(account.id));
    };
    add("USER", user);
    add("STAFF", staff);
    add("ROOT", Account{root.id, root_tokens});
    add("INACTIVE", inactive);
    fixed_.emplace_back("$PASSWORD", std::string(world_password));
    fixed_.emplace_back("$PNG", tiny_png);
}

RequestWorld::~RequestWorld()
{
    // The handler and service first: they hold the database and media files open.
    handler_.reset();
    service_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

RequestWorld::Account RequestWorld::make_account(const std::string& username)
{
    NewUser in;
    in.username = username;
    in.email = username + "@example.com";
    in.password = std::string(world_password);
    in.require_activation = false;
    Account account;
    account.id = must(service_->register_user(in), "register " + username).user.id;
    account.tokens = must(service_->login(username, world_password), "log " + username + " in");
    return account;
}

std::vector<std::pair<std::string, std::string>> RequestWorld::placeholders() const
{
    auto all = fixed_;
    const auto code = [&](const std::string& name, NotificationKind kind) {
        auto last = notifier_->last(kind);
        all.emplace_back("$" + name + "_UID", last.uid);
        all.emplace_back("$" + name + "_TOKEN", last.token);
    };
    code("ACTIVATION", NotificationKind::activation);
    code("RESET", NotificationKind::password_reset);
    code("USERNAME_RESET", NotificationKind::username_reset);
    // The avatar changes with uploads; a user without one gets a key that is never stored.
    auto user = service_->me(Principal{user_id_, {}, false, false, {}});
    const bool has_avatar = user && user->avatar_is_media && !user->avatar.empty();
    all.emplace_back("$AVATAR_URL", "/media/" + (has_avatar ? user->avatar : std::string("avatars/none.png")));
    return all;
}

std::string RequestWorld::substitute(std::string_view text) const
{
    if (text.find('$') == std::string_view::npos) return std::string(text);
    const auto names = placeholders();
    std::string out;
    out.reserve(text.size());
    for (std::size_t at = 0; at < text.size();) {
        const std::pair<std::string, std::string>* best = nullptr;
        if (text[at] == '$')
            for (const auto& entry : names)
                if (text.substr(at).starts_with(entry.first) && (!best || entry.first.size() > best->first.size()))
                    best = &entry;
        if (!best) {
            out += text[at++];
            continue;
        }
        out += best->second;
        at += best->first.size();
    }
    return out;
}

std::string RequestWorld::integrity_check() const
{
    // Our own read-only connection: WAL lets it read while the store's connections stay open.
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open_v2((dir_ / "users.db").c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    if (opened != SQLITE_OK) return std::string("cannot open: ") + sqlite3_errstr(opened);
    sqlite3_stmt* raw_statement = nullptr;
    if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &raw_statement, nullptr) != SQLITE_OK)
        return std::string("cannot prepare: ") + sqlite3_errmsg(db.get());
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw_statement, &sqlite3_finalize);
    std::string report;
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(statement.get())) == SQLITE_ROW) {
        const auto* line = reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0));
        if (!report.empty()) report += '\n';
        report += line ? line : "(null)";
    }
    if (step != SQLITE_DONE) return std::string("cannot check: ") + sqlite3_errmsg(db.get());
    return report;
}

}  // namespace usermgmt::fuzz
