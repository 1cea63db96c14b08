// The hashing processes: children that answer requests, hold nothing of the parent's, run at
// the priority asked for, survive the terminal's signals, are replaced when they die and are
// gone once the pool is; and Argon2id hashes made in them are the same as on threads.
#include "internal/hashing_processes.hpp"
#include "usermgmt/password_hasher.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <chrono>
#include <sys/wait.h>
#include <string>
#include <thread>
#include <vector>

using usermgmt::Argon2Params;
using usermgmt::make_argon2id_hasher;
using usermgmt::detail::HashingProcesses;

namespace {

// Answers with what the child sees of itself: its pid, its scheduling policy, the descriptors
// it holds, then the request.
std::string describe(std::string_view request)
{
    std::string fds;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        fds += entry.path().filename().string() + ",";
    return std::to_string(getpid()) + " " + std::to_string(sched_getscheduler(0)) + " " + fds + " " +
           std::string(request);
}

pid_t pid_of(const std::string& answer)
{
    return static_cast<pid_t>(std::stol(answer.substr(0, answer.find(' '))));
}

// Running: neither gone nor a zombie waiting to be reaped.
bool alive(pid_t pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto state = line.find(") ");
    return state != std::string::npos && line[state + 2] != 'Z';
}

bool ends_within(pid_t pid, std::chrono::milliseconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (alive(pid)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// A child that dies at "die", hangs at "hang", and answers anything else.
std::string unreliable(std::string_view request)
{
    if (request == "die") _exit(3);
    if (request == "hang") pause();
    return "ok " + std::string(request);
}

}  // namespace

TEST_CASE("Hashing processes answer in children of their own, holding only their socket", "[hasher][processes]")
{
    // A descriptor the children must not keep (above the ones they keep).
    const int null = open("/dev/null", O_RDONLY);
    REQUIRE(null >= 0);
    const int open_before = fcntl(null, F_DUPFD, 50);
    close(null);
    REQUIRE(open_before >= 50);
    HashingProcesses pool(2, Argon2Params::idle_priority, &describe);
    close(open_before);
    const auto children = pool.children();
    REQUIRE(children.size() == 2);
    auto answer = pool.ask("hello");
    REQUIRE(answer);
    CHECK(pid_of(*answer) != getpid());
    CHECK(std::set<pid_t>(children.begin(), children.end()).count(pid_of(*answer)) == 1);
    // SCHED_IDLE, as asked; descriptors 0-2, its socket (3) and the listing's own.
    CHECK(answer->find(" " + std::to_string(SCHED_IDLE) + " ") != std::string::npos);
    const std::string fds = answer->substr(answer->find(' ', answer->find(' ') + 1) + 1);
    CHECK(fds.rfind("0,1,2,3,4, hello", 0) == 0);
    // Empty and large requests arrive whole.
    CHECK(pool.ask("")->ends_with(" "));
    const std::string large(1 << 20, 'x');
    auto echoed = pool.ask(large);
    REQUIRE(echoed);
    CHECK(echoed->ends_with(large));
}

TEST_CASE("Hashing processes: many callers share the children - a child that dies is replaced", "[hasher][processes][concurrency]")
{
    HashingProcesses pool(2, 0, &describe);
    std::vector<std::thread> callers;
    std::atomic<int> answered{0};
    for (int t = 0; t < 8; ++t)
        callers.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                const std::string request = std::to_string(t) + "/" + std::to_string(i);
                auto answer = pool.ask(request);
                if (answer && answer->ends_with(" " + request)) ++answered;
            }
        });
    for (auto& caller : callers) caller.join();
    CHECK(answered == 160);

    // Killed (the OOM killer, an operator): the next request is answered by a new child.
    auto before = pool.children();
    REQUIRE(before.size() == 2);
    for (const pid_t pid : before) REQUIRE(kill(pid, SIGKILL) == 0);
    for (int i = 0; i < 4; ++i) {
        auto answer = pool.ask("again");
        REQUIRE(answer);
        CHECK(pid_of(*answer) != before[0]);
        CHECK(pid_of(*answer) != before[1]);
    }
    // The dead ones were reaped (no zombie left behind).
    for (const pid_t pid : before) CHECK_FALSE(alive(pid));
}

TEST_CASE("Hashing processes ignore the terminal's signals and end with the pool", "[hasher][processes]")
{
    std::vector<pid_t> children;
    {
        HashingProcesses pool(2, 0, &describe);
        children = pool.children();
        REQUIRE(children.size() == 2);
        // Ctrl-C reaches the whole process group; the parent decides when its children end.
        for (const pid_t pid : children) REQUIRE(kill(pid, SIGINT) == 0);
        for (const pid_t pid : children) REQUIRE(kill(pid, SIGTERM) == 0);
        for (int i = 0; i < 4; ++i) {
            auto answer = pool.ask("still here");
            REQUIRE(answer);
            CHECK(std::set<pid_t>(children.begin(), children.end()).count(pid_of(*answer)) == 1);
        }
    }
    for (const pid_t pid : children) CHECK_FALSE(alive(pid));
}

TEST_CASE("Argon2id in processes: the same hashes as on threads, each verifies the other's", "[hasher][processes]")
{
    auto params = Argon2Params::cheapest_for_tests();
    auto on_threads = make_argon2id_hasher(params);
    params.processes = true;
    auto in_processes = make_argon2id_hasher(params);
    REQUIRE(on_threads);
    REQUIRE(in_processes);
    auto made = (*in_processes)->hash("s3cret pass");
    REQUIRE(made);
    CHECK(made->rfind("$argon2id$v=19$m=8,t=1,p=1$", 0) == 0);
    CHECK((*on_threads)->verify(*made, "s3cret pass"));
    CHECK((*in_processes)->verify(*made, "s3cret pass"));
    CHECK_FALSE((*in_processes)->verify(*made, "s3cret pasS"));
    CHECK_FALSE((*in_processes)->verify("not a hash", "s3cret pass"));
    CHECK_FALSE((*in_processes)->needs_rehash(*made));
    auto theirs = (*on_threads)->hash("other pass");
    REQUIRE(theirs);
    CHECK((*in_processes)->verify(*theirs, "other pass"));
    CHECK_FALSE((*in_processes)->verify(*theirs, "other pasS"));
    // Passwords of any length and byte, as on threads.
    const std::string odd("a\0b\xff c", 6);
    auto odd_hash = (*in_processes)->hash(odd);
    REQUIRE(odd_hash);
    CHECK((*on_threads)->verify(*odd_hash, odd));
    CHECK_FALSE((*on_threads)->verify(*odd_hash, std::string("a\0b\xff c!", 7)));
    const std::string long_password(4096 * 4, 'p');
    auto long_hash = (*in_processes)->hash(long_password);
    REQUIRE(long_hash);
    CHECK((*on_threads)->verify(*long_hash, long_password));
}

TEST_CASE("Hashing processes: a child that dies or hangs at a request is replaced - the request fails", "[hasher][processes]")
{
    HashingProcesses pool(1, 0, &unreliable, std::chrono::milliseconds(300));
    CHECK(*pool.ask("first") == "ok first");
    const pid_t first = pool.children().at(0);
    // Dies at it, and so does the child that replaces it: no answer, and no zombie left.
    CHECK_FALSE(pool.ask("die"));
    CHECK_FALSE(alive(first));
    CHECK(*pool.ask("after") == "ok after");
    // Hangs: ended when its time is up (twice: the replacement is asked once more).
    const pid_t hanging = pool.children().at(0);
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(pool.ask("hang"));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(600));
    CHECK_FALSE(alive(hanging));
    CHECK(*pool.ask("again") == "ok again");
}

TEST_CASE("Hashing processes end when the process that made them dies without a word", "[hasher][processes]")
{
    int report[2];
    REQUIRE(pipe(report) == 0);
    const pid_t maker = fork();
    REQUIRE(maker >= 0);
    if (maker == 0) {
        // A process that makes a pool, says who its children are, and is then killed.
        close(report[0]);
        HashingProcesses pool(2, 0, &unreliable);
        auto children = pool.children();
        const bool told = children.size() == 2 && write(report[1], children.data(), 2 * sizeof(pid_t)) ==
                                                       static_cast<ssize_t>(2 * sizeof(pid_t));
        if (!told) _exit(1);
        pause();
        _exit(0);
    }
    close(report[1]);
    pid_t children[2] = {0, 0};
    REQUIRE(read(report[0], children, sizeof children) == static_cast<ssize_t>(sizeof children));
    close(report[0]);
    CHECK(alive(children[0]));
    CHECK(alive(children[1]));
    REQUIRE(kill(maker, SIGKILL) == 0);
    REQUIRE(waitpid(maker, nullptr, 0) == maker);
    // Their sockets closed with it: each reads the end and exits.
    CHECK(ends_within(children[0], std::chrono::seconds(5)));
    CHECK(ends_within(children[1], std::chrono::seconds(5)));
}

TEST_CASE("Hashing processes answer nobody in a process forked from their maker", "[hasher][processes]")
{
    HashingProcesses pool(1, 0, &unreliable);
    REQUIRE(pool.ask("mine"));
    const pid_t forked = fork();
    REQUIRE(forked >= 0);
    if (forked == 0) _exit(pool.ask("theirs") ? 1 : 0);  // the maker's child is not this one's
    int status = 0;
    REQUIRE(waitpid(forked, &status, 0) == forked);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(*pool.ask("still mine") == "ok still mine");
}

TEST_CASE("Hashing processes: an application that ignores SIGCHLD (its children reaped at once) still has them replaced and ended", "[hasher][processes]")
{
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction before {};
    REQUIRE(sigaction(SIGCHLD, &ignore, &before) == 0);
    {
        HashingProcesses pool(1, 0, &unreliable);
        const pid_t first = pool.children().at(0);
        REQUIRE(kill(first, SIGKILL) == 0);
        CHECK(ends_within(first, std::chrono::seconds(5)));  // reaped by the kernel, not the pool
        CHECK(*pool.ask("after") == "ok after");
        CHECK(pool.children().at(0) != first);
    }  // ending it does not wait for a child already reaped
    REQUIRE(sigaction(SIGCHLD, &before, nullptr) == 0);
}
