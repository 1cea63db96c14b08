// The ceiling of the login and registration scenarios: how many crypto_pwhash_str calls per
// second THREADS threads do with the server's Argon2id parameters, for SECONDS seconds.
//
// Usage: usermgmt-bench-pwhash THREADS SECONDS OPS MEMORY_KIB   (prints one JSON object)
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv)
{
    if (argc < 5 || sodium_init() < 0) {
        std::fprintf(stderr, "usage: usermgmt-bench-pwhash THREADS SECONDS OPS MEMORY_KIB\n");
        return 2;
    }
    const int threads = std::stoi(argv[1]);
    const auto duration = std::chrono::seconds(std::stoi(argv[2]));
    const unsigned long long ops = std::stoull(argv[3]);
    const std::size_t memory = std::stoull(argv[4]) * 1024;
    std::atomic<long> done{0};
    const auto deadline = std::chrono::steady_clock::now() + duration;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            char out[crypto_pwhash_STRBYTES];
            while (std::chrono::steady_clock::now() < deadline) {
                // Counted only when done by the deadline, as wrk counts the answers it has by the
                // end of its run: a hash still running then is in neither count.
                if (crypto_pwhash_str_alg(out, "correct-Horse-battery-9", 23, ops, memory, crypto_pwhash_ALG_ARGON2ID13) == 0 &&
                    std::chrono::steady_clock::now() <= deadline)
                    ++done;
            }
        });
    }
    for (auto& t : pool) t.join();
    std::printf("{\"threads\":%d,\"seconds\":%lld,\"hashes\":%ld,\"per_second\":%.2f}\n", threads,
                static_cast<long long>(duration.count()), done.load(), double(done.load()) / double(duration.count()));
}
