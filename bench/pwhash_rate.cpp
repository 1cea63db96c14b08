// The ceiling of the login and registration scenarios: how many crypto_pwhash_str calls per
// second THREADS threads (as usermgmt-server hashes by default) or THREADS processes (as with
// --argon2-processes) do with the server's Argon2id parameters, for SECONDS seconds. Built as
// usermgmt-bench-pwhash it keeps Argon2's memory between hashes as the server does; as
// usermgmt-bench-pwhash-libsodium it maps the memory afresh for every hash, as libsodium alone.
//
// Usage: usermgmt-bench-pwhash THREADS SECONDS OPS MEMORY_KIB [threads|processes]
// (prints one JSON object)
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

// Hashes until the deadline; the count of those done by it. A hash still running then is in
// neither count, as wrk counts only the answers it has by the end of its run.
long hash_until(std::chrono::steady_clock::time_point deadline, unsigned long long ops, std::size_t memory)
{
    char out[crypto_pwhash_STRBYTES];
    long done = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (crypto_pwhash_str_alg(out, "correct-Horse-battery-9", 23, ops, memory, crypto_pwhash_ALG_ARGON2ID13) == 0 &&
            std::chrono::steady_clock::now() <= deadline)
            ++done;
    }
    return done;
}

// Each process reports its count through a pipe of its own.
long in_processes(int count, std::chrono::steady_clock::time_point deadline, unsigned long long ops, std::size_t memory)
{
    std::vector<int> reports;
    std::vector<pid_t> children;
    // On a failure midway the children already forked are ended, not left hashing.
    const auto fail = [&] {
        for (const pid_t child : children) kill(child, SIGKILL);
        for (const pid_t child : children) waitpid(child, nullptr, 0);
        return -1L;
    };
    for (int p = 0; p < count; ++p) {
        int fds[2];
        if (pipe(fds) != 0) return fail();
        const pid_t pid = fork();
        if (pid < 0) return fail();
        if (pid == 0) {
            close(fds[0]);
            const long done = hash_until(deadline, ops, memory);
            _exit(write(fds[1], &done, sizeof done) == sizeof done ? 0 : 1);
        }
        close(fds[1]);
        reports.push_back(fds[0]);
        children.push_back(pid);
    }
    long total = 0;
    for (std::size_t p = 0; p < children.size(); ++p) {
        long done = 0;
        if (read(reports[p], &done, sizeof done) != sizeof done) return fail();
        close(reports[p]);
        total += done;
    }
    for (const pid_t child : children) waitpid(child, nullptr, 0);
    return total;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string mode = argc > 5 ? argv[5] : "threads";
    if (argc < 5 || (mode != "threads" && mode != "processes") || sodium_init() < 0) {
        std::fprintf(stderr, "usage: usermgmt-bench-pwhash THREADS SECONDS OPS MEMORY_KIB [threads|processes]\n");
        return 2;
    }
    const int threads = std::stoi(argv[1]);
    const auto duration = std::chrono::seconds(std::stoi(argv[2]));
    const unsigned long long ops = std::stoull(argv[3]);
    const std::size_t memory = std::stoull(argv[4]) * 1024;
    const auto deadline = std::chrono::steady_clock::now() + duration;
    long done = 0;
    if (mode == "processes") {
        done = in_processes(threads, deadline, ops, memory);
        if (done < 0) return 1;
    } else {
        std::atomic<long> counted{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) pool.emplace_back([&] { counted += hash_until(deadline, ops, memory); });
        for (auto& t : pool) t.join();
        done = counted.load();
    }
    std::printf("{\"threads\":%d,\"mode\":\"%s\",\"seconds\":%lld,\"hashes\":%ld,\"per_second\":%.2f}\n", threads,
                mode.c_str(), static_cast<long long>(duration.count()), done, double(done) / double(duration.count()));
}
