// Argon2's memory kept between hashes (lib/kept_argon2_memory.cpp). A binary of its own: the
// file replaces mmap and munmap for the whole process, as it does in usermgmt-server.
#include "internal/kept_argon2_memory.hpp"
#include "internal/worker_pool.hpp"

#include <catch2/catch.hpp>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using usermgmt::detail::kept_argon2_region;
using usermgmt::detail::kept_argon2_reuses;

constexpr std::size_t one_mib = 1024 * 1024;
// libsodium's request for a hash's memory, as it makes it.
constexpr int argon2_flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;

std::string hash(const std::string& password, std::size_t memory = one_mib)
{
    char out[crypto_pwhash_STRBYTES];
    REQUIRE(crypto_pwhash_str_alg(out, password.data(), password.size(), 1, memory, crypto_pwhash_ALG_ARGON2ID13) == 0);
    return out;
}

bool verifies(const std::string& stored, const std::string& password)
{
    return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

bool all_zero(const unsigned char* bytes, std::size_t length)
{
    return std::all_of(bytes, bytes + length, [](unsigned char b) { return b == 0; });
}

// Whether the page at `address` is mapped (msync fails with ENOMEM on an unmapped one).
bool mapped(const void* address)
{
    return ::msync(const_cast<void*>(address), static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)), MS_ASYNC) == 0;
}

// The mapping that holds `address`, from /proc/self/smaps: its range and its VmFlags.
struct Mapping {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    std::string flags;

    bool has_flag(const std::string& flag) const
    {
        std::istringstream words(flags);
        for (std::string word; words >> word;)
            if (word == flag) return true;
        return false;
    }
};

std::optional<Mapping> mapping_of(const void* address)
{
    const auto wanted = reinterpret_cast<std::uintptr_t>(address);
    std::ifstream smaps("/proc/self/smaps");
    std::optional<Mapping> current;
    for (std::string line; std::getline(smaps, line);) {
        unsigned long start = 0;
        unsigned long end = 0;
        // A mapping's first line starts "start-end " in hex; its fields follow, VmFlags last.
        if (std::sscanf(line.c_str(), "%lx-%lx ", &start, &end) == 2) {
            current = wanted >= start && wanted < end ? std::optional<Mapping>(Mapping{start, end, {}}) : std::nullopt;
        } else if (current && line.rfind("VmFlags:", 0) == 0) {
            current->flags = line.substr(8);
            return current;
        }
    }
    return std::nullopt;
}

// Without Catch, for a forked child or another thread (Catch is for the test's own thread).
bool hashes_quietly(const std::string& password)
{
    char out[crypto_pwhash_STRBYTES];
    return crypto_pwhash_str_alg(out, password.data(), password.size(), 1, one_mib, crypto_pwhash_ALG_ARGON2ID13) == 0 &&
           crypto_pwhash_str_verify(out, password.data(), password.size()) == 0;
}

}  // namespace

TEST_CASE("a hash's memory is kept for the next hash of the thread, wiped", "[kept_memory]")
{
    REQUIRE(sodium_init() >= 0);
    const std::string first = hash("correct-Horse-battery-9");
    const auto region = kept_argon2_region();
    REQUIRE(region.base != nullptr);
    CHECK(region.length == one_mib);
    CHECK_FALSE(region.lent);
    CHECK(all_zero(region.base, region.length));

    const auto reuses = kept_argon2_reuses();
    const std::string second = hash("another-Password-5");
    CHECK(kept_argon2_reuses() == reuses + 1);
    CHECK(kept_argon2_region().base == region.base);
    CHECK(all_zero(region.base, region.length));
    // The hashes are right with the kept memory: each verifies its own password only.
    CHECK(verifies(first, "correct-Horse-battery-9"));
    CHECK(verifies(second, "another-Password-5"));
    CHECK_FALSE(verifies(first, "another-Password-5"));
    CHECK(kept_argon2_reuses() == reuses + 4);
}

TEST_CASE("another memory cost replaces the kept region", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto before = kept_argon2_region();
    (void)hash("correct-Horse-battery-9", 2 * one_mib);
    const auto after = kept_argon2_region();
    CHECK(after.length == 2 * one_mib);
    CHECK_FALSE(after.lent);
    // The old region was given back to the kernel: its pages are unmapped unless the new
    // region took their place.
    const unsigned char* old_end = before.base + before.length;
    const bool taken_over = after.base < old_end && before.base < after.base + after.length;
    if (!taken_over) CHECK_FALSE(mapped(before.base));
}

TEST_CASE("other mappings go to the kernel", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto kept = kept_argon2_region();
    // Not populated: not libsodium's request.
    void* plain = ::mmap(nullptr, kept.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(plain != MAP_FAILED);
    CHECK(plain != kept.base);
    CHECK(::munmap(plain, kept.length) == 0);
    CHECK_FALSE(mapped(plain));

    // While the region is lent, a second request gets a mapping of its own.
    void* lent = ::mmap(nullptr, kept.length, PROT_READ | PROT_WRITE, argon2_flags, -1, 0);
    REQUIRE(lent == kept.base);
    void* second = ::mmap(nullptr, kept.length, PROT_READ | PROT_WRITE, argon2_flags, -1, 0);
    REQUIRE(second != MAP_FAILED);
    CHECK(second != kept.base);
    CHECK(::munmap(second, kept.length) == 0);
    CHECK_FALSE(mapped(second));
    CHECK(::munmap(lent, kept.length) == 0);
    CHECK(mapped(kept.base));
    CHECK_FALSE(kept_argon2_region().lent);
}

TEST_CASE("a kept region starts on a 2 MiB boundary, marked for huge pages, and is all its mapping", "[kept_memory]")
{
    // 3 MiB: no multiple of 2 MiB, which a recent kernel would align by itself.
    (void)hash("correct-Horse-battery-9", 3 * one_mib);
    const auto kept = kept_argon2_region();
    REQUIRE(kept.base != nullptr);
    const auto base = reinterpret_cast<std::uintptr_t>(kept.base);
    CHECK(base % (2 * one_mib) == 0);
    const auto mapping = mapping_of(kept.base);
    REQUIRE(mapping);
    // The address space mapped beyond it to find the boundary was given back.
    CHECK(mapping->start == base);
    CHECK(mapping->end == base + kept.length);
    CHECK(mapping->has_flag("wf"));  // MADV_WIPEONFORK
    // MADV_HUGEPAGE, where the kernel has transparent huge pages at all.
    if (std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled")) CHECK(mapping->has_flag("hg"));
    CHECK(verifies(hash("another-Password-5", 3 * one_mib), "another-Password-5"));

    // A length that is no multiple of the page: the mapping ends at the page after it.
    const std::size_t odd = 5 * 1024;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    void* lent = ::mmap(nullptr, odd, PROT_READ | PROT_WRITE, argon2_flags, -1, 0);
    // Read before anything else can map into the space the region's alignment gave back.
    const auto odd_base = reinterpret_cast<std::uintptr_t>(lent);
    const bool past_end_mapped = mapped(reinterpret_cast<void*>((odd_base + odd + page - 1) / page * page));
    REQUIRE(lent != MAP_FAILED);
    CHECK_FALSE(past_end_mapped);
    CHECK(odd_base % (2 * one_mib) == 0);
    const auto odd_mapping = mapping_of(lent);
    CHECK(::munmap(lent, odd) == 0);
    REQUIRE(odd_mapping);
    CHECK(odd_mapping->start == odd_base);
    CHECK(odd_mapping->end == (odd_base + odd + page - 1) / page * page);
}

TEST_CASE("each thread keeps a region of its own, given back when the thread ends", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto mine = kept_argon2_region();
    const unsigned char* theirs = nullptr;
    std::thread other([&] {
        (void)hash("correct-Horse-battery-9");
        theirs = kept_argon2_region().base;
    });
    other.join();
    REQUIRE(theirs != nullptr);
    CHECK(theirs != mine.base);
    CHECK_FALSE(mapped(theirs));
    CHECK(kept_argon2_region().base == mine.base);
    CHECK(mapped(mine.base));
}

TEST_CASE("a forked child sees the kept region zeroed, and hashes in it", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto kept = kept_argon2_region();
    // Borrowed as libsodium does, and filled as a hash in progress would be.
    void* lent = ::mmap(nullptr, kept.length, PROT_READ | PROT_WRITE, argon2_flags, -1, 0);
    REQUIRE(lent == kept.base);
    std::fill_n(static_cast<unsigned char*>(lent), kept.length, 0xab);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const bool zero = all_zero(static_cast<const unsigned char*>(lent), kept.length);
        const bool hashes = hashes_quietly("in-the-Child-42");
        ::_exit(zero && hashes ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(::munmap(lent, kept.length) == 0);
    CHECK(all_zero(kept.base, kept.length));
}

TEST_CASE("a forked child hashes in the region it inherited", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto kept = kept_argon2_region();
    REQUIRE_FALSE(kept.lent);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const auto reuses = kept_argon2_reuses();
        const bool hashes = hashes_quietly("in-the-Child-42");
        const bool reused = kept_argon2_reuses() == reuses + 2 && kept_argon2_region().base == kept.base;
        ::_exit(hashes && reused ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a request larger than 64 MiB is not kept, nor takes the kept region's place", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto kept = kept_argon2_region();
    const std::size_t large = 65 * one_mib;
    void* big = ::mmap(nullptr, large, PROT_READ | PROT_WRITE, argon2_flags, -1, 0);
    REQUIRE(big != MAP_FAILED);
    CHECK(big != kept.base);
    CHECK(kept_argon2_region().base == kept.base);
    CHECK_FALSE(kept_argon2_region().lent);
    CHECK(::munmap(big, large) == 0);
    CHECK_FALSE(mapped(big));
    CHECK(kept_argon2_region().base == kept.base);
}

TEST_CASE("a kept region unmapped by someone else is no longer handed out", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto kept = kept_argon2_region();
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    // The last page of it, by a caller that is not libsodium.
    CHECK(::munmap(const_cast<unsigned char*>(kept.base) + kept.length - page, page) == 0);
    CHECK(kept_argon2_region().base == nullptr);
    CHECK(::munmap(const_cast<unsigned char*>(kept.base), kept.length - page) == 0);
    const std::string stored = hash("correct-Horse-battery-9");
    CHECK(verifies(stored, "correct-Horse-battery-9"));
    CHECK(kept_argon2_region().base != nullptr);
}

TEST_CASE("a thread gives its region back when asked, unless it is lent", "[kept_memory]")
{
    (void)hash("correct-Horse-battery-9");
    const auto kept = kept_argon2_region();
    void* lent = ::mmap(nullptr, kept.length, PROT_READ | PROT_WRITE, argon2_flags, -1, 0);
    REQUIRE(lent == kept.base);
    usermgmt_give_back_kept_argon2_memory();  // lent: kept
    CHECK(mapped(kept.base));
    CHECK(kept_argon2_region().lent);
    CHECK(::munmap(lent, kept.length) == 0);

    usermgmt_give_back_kept_argon2_memory();
    CHECK(kept_argon2_region().base == nullptr);
    CHECK_FALSE(mapped(kept.base));
    usermgmt_give_back_kept_argon2_memory();  // none: nothing to do
    // The next hash maps a region again, and is right.
    const std::string stored = hash("correct-Horse-battery-9");
    CHECK(verifies(stored, "correct-Horse-battery-9"));
    CHECK(kept_argon2_region().base != nullptr);
}

TEST_CASE("a hashing pool's worker idle for a while gives its region back", "[kept_memory]")
{
    using namespace std::chrono_literals;
    using Clock = std::chrono::steady_clock;
    constexpr auto idle_after = 3s;
    usermgmt::detail::WorkerPool pool(1, 4, 0, idle_after);
    // What a job saw, passed back without Catch (not to be called from another thread).
    struct Seen {
        std::atomic<const unsigned char*> region{nullptr};
        std::atomic<bool> hashed{false};
        std::atomic<Clock::rep> done_at{0};
    };
    const auto hash_on_worker = [&pool](Seen& seen) {
        return pool.try_post([&seen] {
            seen.hashed = hashes_quietly("correct-Horse-battery-9");
            seen.region = kept_argon2_region().base;
            seen.done_at = Clock::now().time_since_epoch().count();
        });
    };
    const auto wait_for = [](const auto& done) {
        const auto start = Clock::now();
        while (!done() && Clock::now() - start < 30s) std::this_thread::sleep_for(10ms);
        return done();
    };

    Seen first;
    REQUIRE(hash_on_worker(first));
    REQUIRE(wait_for([&] { return first.done_at.load() != 0; }));
    CHECK(first.hashed);
    const unsigned char* region = first.region;
    REQUIRE(region != nullptr);
    const Clock::time_point done_at{Clock::duration(first.done_at.load())};
    // Kept while the worker may hash again (looked at only while well within its idle time).
    if (Clock::now() - done_at < idle_after / 2) CHECK(mapped(region));
    REQUIRE(wait_for([&] { return !mapped(region); }));
    CHECK(Clock::now() - done_at >= idle_after);

    // The worker goes on: its next hash keeps a region again.
    Seen second;
    REQUIRE(hash_on_worker(second));
    REQUIRE(wait_for([&] { return second.done_at.load() != 0; }));
    CHECK(second.hashed);
    CHECK(second.region.load() != nullptr);
}
