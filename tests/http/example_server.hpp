#pragma once
// The example server as a test runs it: the binary in a child process, its options, and the
// .eml outbox it writes mail to.

#include "http_fixture.hpp"
#include "../support/child_process.hpp"

#include <regex>
#include <thread>

#ifndef USERMGMT_SERVER_BINARY
#error "USERMGMT_SERVER_BINARY names the usermgmt-server binary"
#endif

namespace usermgmt::test {

// A running usermgmt-server; stdout and stderr go to a file the test reads.
class ExampleServer {
public:
    ExampleServer(const TempDir& dir, std::vector<std::string> args, std::vector<std::string> env = {})
    {
        args.insert(args.begin(), USERMGMT_SERVER_BINARY);
        process_ = ChildProcess(args, env, (dir / ("server-" + std::to_string(++runs_) + ".log")).string());
    }

    /// The port from the "listening on" line, waiting for it up to 10 s.
    unsigned short port()
    {
        const std::regex listening("listening on https?://127\\.0\\.0\\.1:([0-9]+)/");
        for (int i = 0; i < 200; ++i) {
            std::smatch m;
            const std::string text = log();
            if (std::regex_search(text, m, listening)) return static_cast<unsigned short>(std::stoi(m[1]));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL("the server did not start: " << log());
        return 0;
    }

    /// Kills the server without warning (SIGKILL): no shutdown, no flush.
    void crash() { process_.crash(); }
    void signal(int signal) { process_.signal(signal); }
    int stop() { return process_.stop(); }
    std::string log() const { return process_.log(); }

    /// Runs the binary to completion; its exit code and output.
    static std::pair<int, std::string> run(const TempDir& dir, std::vector<std::string> args,
                                           std::vector<std::string> env = {})
    {
        args.insert(args.begin(), USERMGMT_SERVER_BINARY);
        ChildProcess process(args, env, (dir / "run.log").string());
        const int code = process.wait();
        return {code, process.log()};
    }

private:
    static inline int runs_ = 0;
    ChildProcess process_;
};

inline const std::vector<std::string> cheap = {"--argon2-ops", "1", "--argon2-memory-kib", "8"};

// The environment that makes the server create the superuser "root" at start.
inline const std::vector<std::string> superuser = {"USERMGMT_SUPERUSER_USERNAME=root", "USERMGMT_SUPERUSER_EMAIL=root@example.com",
                                            "USERMGMT_SUPERUSER_PASSWORD=" + strong_password};

inline std::vector<std::string> args(const TempDir& dir, std::vector<std::string> extra = {})
{
    std::vector<std::string> out = {"--listen", "127.0.0.1:0", "--data-dir", (dir / "data").string()};
    out.insert(out.end(), cheap.begin(), cheap.end());
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

// Runs the server with `extra` options, which it must refuse at start (exit 2, one line naming
// itself); its output.
inline std::string refused_at_start(const TempDir& dir, std::vector<std::string> extra)
{
    auto [code, out] = ExampleServer::run(dir, args(dir, std::move(extra)));
    CHECK(code == 2);
    CHECK(out.rfind("usermgmt-server: ", 0) == 0);
    return out;
}

inline std::size_t mails_in(const std::filesystem::path& outbox)
{
    if (!std::filesystem::exists(outbox)) return 0;
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(outbox)) n += e.path().extension() == ".eml";
    return n;
}

// The newest mail, once there are more than `before` (the server mails from a background thread).
inline std::string newest_mail(const std::filesystem::path& outbox, std::size_t before = 0)
{
    for (int i = 0; i < 500 && mails_in(outbox) <= before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::filesystem::path newest;
    for (const auto& e : std::filesystem::directory_iterator(outbox))
        if (e.path() > newest) newest = e.path();
    std::ifstream in(newest);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}


}  // namespace usermgmt::test
