#include "usermgmt/result.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>

using namespace usermgmt;

TEST_CASE("Result holds a value or an error", "[result]")
{
    Result<int> ok = 42;
    REQUIRE(ok.has_value());
    REQUIRE(static_cast<bool>(ok));
    CHECK(*ok == 42);
    CHECK(ok.value_or(7) == 42);

    Result<int> bad = fail(Errc::not_found, "nope");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::not_found);
    CHECK(bad.error().message == "nope");
    CHECK(bad.value_or(7) == 7);
}

TEST_CASE("Result works with move-only and string values", "[result]")
{
    Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
    REQUIRE(owned);
    auto taken = std::move(owned).value();
    CHECK(*taken == 5);

    Result<std::string> text = "abc";
    CHECK(text->size() == 3);
}

TEST_CASE("Result<void> reports success or failure", "[result]")
{
    Result<void> ok;
    CHECK(ok.has_value());
    Result<void> bad = field_error("email", Reason::invalid_email);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Errc::invalid_argument);
    REQUIRE(bad.error().fields.find("email"));
    CHECK(bad.error().fields.find("email")->front().reason == Reason::invalid_email);
    CHECK(bad.error().fields.has("email", Reason::invalid_email));
    CHECK_FALSE(bad.error().fields.has("email", Reason::blank));
}

TEST_CASE("FieldErrors keep insertion order and group messages per field", "[error]")
{
    FieldErrors f;
    f.add("username", Reason::blank);
    f.add("email", Reason::invalid_email);
    f.add("username", Reason::too_long, 150);
    REQUIRE(f.entries().size() == 2);
    CHECK(f.entries()[0].field == "username");
    CHECK(f.entries()[0].problems == std::vector<Problem>{{Reason::blank, 0, {}}, {Reason::too_long, 150, {}}});
    CHECK(f.entries()[1].field == "email");
    FieldErrors g;
    g.add("x", Reason::required);
    f.merge(g);
    CHECK(f.entries().size() == 3);
}

TEST_CASE("Every Errc has a stable snake_case name", "[error]")
{
    CHECK(to_string(Errc::invalid_argument) == "invalid_argument");
    CHECK(to_string(Errc::token_expired) == "token_expired");
    CHECK(to_string(Errc::storage_failure) == "storage_failure");
    for (int c = 1; c <= static_cast<int>(Errc::internal); ++c) CHECK_FALSE(to_string(static_cast<Errc>(c)).empty());
}

TEST_CASE("Every Reason has a stable snake_case name", "[error]")
{
    CHECK(to_string(Reason::too_long) == "too_long");
    CHECK(to_string(Reason::password_too_similar) == "password_too_similar");
    for (int r = 0; r <= static_cast<int>(Reason::empty_file); ++r)
        CHECK(to_string(static_cast<Reason>(r)) != "unknown");
}

namespace {

// Runs `misuse` in a child process; its stderr and whether it died of SIGABRT.
std::pair<std::string, bool> in_child(void (*misuse)())
{
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        misuse();
        ::_exit(0);  // not reached when it aborts
    }
    ::close(fds[1]);
    std::string err;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) err.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {err, WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT};
}

}  // namespace

TEST_CASE("Using the value of an error aborts with the error's code, message and fields on stderr", "[result]")
{
    auto [said, aborted] = in_child([] {
        FieldErrors fields;
        fields.add("password", Reason::password_too_common);
        Result<int> bad = fail(Errc::invalid_argument, "invalid input", fields);
        (void)*bad;
    });
    CHECK(aborted);
    CHECK(said.find("usermgmt: the value of a Result that holds an error was used: invalid_argument: invalid input "
                    "[password: password_too_common] (check has_value() first)\n") != std::string::npos);

    auto [said_void, aborted_void] = in_child([] { Result<void>(fail(Errc::not_found, "no such user")).value(); });
    CHECK(aborted_void);
    CHECK(said_void.find("not_found: no such user") != std::string::npos);

    auto [said_error, aborted_error] = in_child([] { (void)Result<int>(1).error(); });
    CHECK(aborted_error);
    CHECK(said_error.find("the error of a Result that holds a value was asked for") != std::string::npos);
}
