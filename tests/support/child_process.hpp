#pragma once
// A child process of a test: started with posix_spawn (stdout and stderr into a log file), the
// environment of the test minus USERMGMT_* plus what the test adds, and stopped (SIGTERM, or
// SIGKILL for a crash) at the latest when the object goes, so a failing test leaves no process.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace usermgmt::test {

class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(const std::vector<std::string>& args, const std::vector<std::string>& env, std::string log)
        : log_(std::move(log)), pid_(spawn(args, env, {"", log_, ""}))
    {
    }
    /// Where the child's standard streams go: files by path ("" for stdin: the test's; "" for
    /// stderr: with stdout).
    struct Streams {
        std::string in;
        std::string out;
        std::string err;
    };
    ChildProcess(const std::vector<std::string>& args, const std::vector<std::string>& env, const Streams& streams)
        : log_(streams.out), pid_(spawn(args, env, streams))
    {
    }
    ChildProcess(ChildProcess&& other) noexcept
        : log_(std::move(other.log_)), pid_(std::exchange(other.pid_, 0)), status_(other.status_)
    {
    }
    ChildProcess& operator=(ChildProcess&& other) noexcept
    {
        stop();
        log_ = std::move(other.log_);
        pid_ = std::exchange(other.pid_, 0);
        status_ = other.status_;
        return *this;
    }
    ~ChildProcess() { stop(); }

    /// SIGTERM and wait; the exit code (-1 when killed by a signal).
    int stop() { return end(SIGTERM); }
    /// SIGKILL: no shutdown, no flush.
    void crash() { end(SIGKILL); }
    /// Sends `signal` and lets the process go on (SIGHUP: reload).
    void signal(int signal)
    {
        if (pid_ > 0) kill(pid_, signal);
    }
    /// Waits for the process to end by itself; its exit code.
    int wait()
    {
        if (pid_ > 0) {
            int status = 0;
            waitpid(pid_, &status, 0);
            pid_ = 0;
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        return status_;
    }
    [[nodiscard]] bool running() const { return pid_ > 0; }

    std::string log() const
    {
        std::ifstream in(log_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

private:
    int end(int signal)
    {
        if (pid_ <= 0) return status_;
        kill(pid_, signal);
        return wait();
    }

    static pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, const Streams& streams)
    {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (!streams.in.empty()) posix_spawn_file_actions_addopen(&actions, 0, streams.in.c_str(), O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, streams.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (streams.err.empty()) posix_spawn_file_actions_adddup2(&actions, 1, 2);
        else posix_spawn_file_actions_addopen(&actions, 2, streams.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        std::vector<std::string> environment;
        for (char** e = environ; *e; ++e)
            if (std::string_view(*e).rfind("USERMGMT_", 0) != 0) environment.emplace_back(*e);
        environment.insert(environment.end(), env.begin(), env.end());
        std::vector<char*> envp;
        for (auto& e : environment) envp.push_back(e.data());
        envp.push_back(nullptr);
        pid_t pid = 0;
        REQUIRE(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) == 0);
        posix_spawn_file_actions_destroy(&actions);
        return pid;
    }

    std::string log_;
    pid_t pid_ = 0;
    int status_ = 0;
};

}  // namespace usermgmt::test
