#pragma once
// A real UserService on a real SQLite file in a temporary directory, with the cheapest valid
// Argon2id parameters, a recording notifier and a manual clock.

#include "usermgmt/usermgmt.hpp"

#include "problems.hpp"
#include "test_store.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <memory>

namespace usermgmt::test {

inline const std::string test_secret = "test-secret-test-secret-test-secret-0123456789";
inline const std::string good_password = "correct-Horse-battery-9";
/// The smallest PNG header the image check accepts.
inline const std::string tiny_png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x06\0\0\0", 29);

struct ServiceFixture {
    explicit ServiceFixture(const std::function<void(Config&)>& tweak = {})
    {
        Config config;
        config.jwt_secret = test_secret;
        config.argon2 = Argon2Params::cheapest_for_tests();
        if (tweak) tweak(config);
        Ports ports;
        auto store = open_test_store(dir.path());
        REQUIRE(store);
        ports.store = std::move(*store);
        auto recording = std::make_unique<RecordingNotifier>();
        notifier = recording.get();
        ports.notifier = std::move(recording);
        auto manual = std::make_unique<ManualClock>();
        clock = manual.get();
        ports.clock = std::move(manual);
        ports.media = make_directory_media_store(dir / "media");
        auto made = UserService::create(std::move(config), std::move(ports));
        REQUIRE(made);
        service = std::move(*made);
    }

    /// Registers and activates an account; returns it.
    User make_user(const std::string& username, bool staff = false)
    {
        NewUser in;
        in.username = username;
        in.email = username + "@example.com";
        in.password = good_password;
        in.require_activation = false;
        auto made = service->register_user(in);
        REQUIRE(made);
        if (staff) {
            auto admin = service->create_superuser("root-" + username, "root-" + username + "@example.com", good_password);
            REQUIRE(admin);
            auto root = principal_of("root-" + username);
            UserPatch patch;
            patch.is_staff = true;
            auto promoted = service->update_user(root, made->user.id, patch);
            REQUIRE(promoted);
            return *promoted;
        }
        return made->user;
    }

    /// Logs in and authenticates: the principal of a fresh session.
    Principal principal_of(const std::string& username, const std::string& password = good_password)
    {
        auto tokens = service->login(username, password);
        REQUIRE(tokens);
        auto who = service->authenticate(tokens->access);
        REQUIRE(who);
        return *who;
    }

    /// The last token notification of `kind` sent to `email`.
    OneTimeCode last_code(NotificationKind kind, const std::string& email)
    {
        auto n = notifier->last(kind, email);
        REQUIRE(n);
        return OneTimeCode{NamedUser{n->user.id}, n->token};
    }

    TempDir dir;
    RecordingNotifier* notifier = nullptr;
    ManualClock* clock = nullptr;
    std::unique_ptr<UserService> service;
};

}  // namespace usermgmt::test
