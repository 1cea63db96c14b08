// usermgmt-embed: the whole account life cycle in-process, through the C++ API only.
//
//   register -> activate (link read from the .eml outbox) -> login -> refresh
//   -> request a password reset -> confirm it (link from the outbox) -> login with the new password
//
// Usage: usermgmt-embed [DIRECTORY]   (default: a fresh temporary directory)

#include <usermgmt/usermgmt.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using namespace usermgmt;

namespace {

[[noreturn]] void die(const std::string& step, const Error& error)
{
    std::cerr << step << " failed: " << to_string(error.code) << " (" << error.message << ")\n";
    for (const auto& entry : error.fields.entries())
        for (const auto& problem : entry.problems) std::cerr << "  " << entry.field << ": " << to_string(problem.reason) << "\n";
    std::exit(1);
}

// The uid and token of the newest mail whose link contains `marker`, as a frontend would take
// them from the URL it was opened with.
OneTimeCode code_from_outbox(const fs::path& outbox, const std::string& marker)
{
    fs::path newest;
    for (const auto& entry : fs::directory_iterator(outbox))
        if (entry.path().extension() == ".eml" && entry.path() > newest) newest = entry.path();
    std::ifstream in(newest, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string mail = text.str();
    const auto at = mail.find(marker);
    if (at == std::string::npos) {
        std::cerr << "no link with " << marker << " in " << newest << "\n";
        std::exit(1);
    }
    const auto start = at + marker.size();
    const auto end = mail.find_first_of("\r\n", start);
    const std::string rest = mail.substr(start, end - start);  // "<uid>/<token>"
    const auto slash = rest.find('/');
    const std::string uid = rest.substr(0, slash);  // the /auth style's encoding of the user id
    return OneTimeCode{NamedUser{decode_uid(uid), uid.empty()}, rest.substr(slash + 1)};
}

}  // namespace

int main(int argc, char** argv)
{
    const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "usermgmt-embed";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path outbox = dir / "outbox";

    Config config;
    config.jwt_secret = "embed-example-secret-change-me-0123456789";  // use a real random secret
    Ports ports;
    auto store = open_sqlite_store(dir / "users.db");
    if (!store) die("open store", store.error());
    ports.store = std::move(*store);
    ports.notifier = std::make_unique<TemplateMailer>(MailTemplates{}, std::make_unique<OutboxTransport>(outbox));
    auto made = UserService::create(config, std::move(ports));
    if (!made) die("create service", made.error());
    const UserService& users = **made;

    NewUser alice;
    alice.username = "alice";
    alice.email = "alice@example.com";
    alice.password = "Correct-Horse-Battery-1";
    alice.password_retype = alice.password;
    auto registered = users.register_user(alice);
    if (!registered) die("register", registered.error());
    std::cout << "1. registered user " << registered->user.id << " (" << registered->user.username
              << "), active: " << std::boolalpha << registered->user.is_active << "\n";

    const auto activation = code_from_outbox(outbox, "#/activate/");
    if (auto ok = users.activate(activation); !ok) die("activate", ok.error());
    std::cout << "2. activated with the link from the outbox (user " << *activation.user->id << ")\n";

    auto tokens = users.login("alice", "Correct-Horse-Battery-1");
    if (!tokens) die("login", tokens.error());
    std::cout << "3. logged in: access token of " << tokens->access.size() << " characters\n";

    auto renewed = users.refresh(tokens->refresh);
    if (!renewed) die("refresh", renewed.error());
    auto who = users.authenticate(renewed->access);
    if (!who) die("authenticate", who.error());
    std::cout << "4. refreshed: the new access token authenticates user " << who->user_id << "\n";

    if (auto ok = users.request_password_reset("alice@example.com"); !ok) die("request reset", ok.error());
    const auto reset = code_from_outbox(outbox, "#/password/reset/confirm/");
    if (auto ok = users.confirm_password_reset(reset, "Brand-New-Passphrase-2", std::nullopt); !ok)
        die("confirm reset", ok.error());
    std::cout << "5. password reset with the link from the outbox\n";

    if (users.login("alice", "Correct-Horse-Battery-1")) die("old password", fail(Errc::internal, "still works"));
    auto again = users.login("alice", "Brand-New-Passphrase-2");
    if (!again) die("login with the new password", again.error());
    std::cout << "6. the old password is refused, the new one logs in\n";
    std::cout << "done: data in " << dir << "\n";
    return 0;
}
