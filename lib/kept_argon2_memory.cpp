// mmap and munmap for a program that hashes passwords: Argon2's memory is kept between hashes
// instead of being mapped, populated and unmapped for each (kept_argon2_memory.hpp says why).
// Linked into executables only, as a malloc replacement is.
#include "kept_argon2_memory.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

// The kernel's mmap takes its six arguments in registers only on these (i386 and s390x pass a
// block of them, armhf has mmap2 only); CMake builds this file for them alone.
#if !defined(__linux__) || !(defined(__x86_64__) || defined(__aarch64__) || defined(__riscv) || defined(__powerpc64__))
#error "kept_argon2_memory.cpp: 64-bit Linux on x86_64, aarch64, riscv64 or ppc64 only"
#endif
// Headers older than glibc 2.35 lack it; a kernel older than 5.14 answers EINVAL.
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static_assert(sizeof(off_t) == sizeof(long) && sizeof(void*) == sizeof(long), "syscall(2) passes longs");

namespace {

// Larger requests go to the kernel every time: nothing keeps more than this between hashes
// (an imported hash of another system may ask for up to 256 MiB).
constexpr std::size_t largest_kept = std::size_t{64} << 20;

// libsodium's request for an Argon2 hash's memory (crypto_pwhash/argon2/argon2-core.c).
bool argon2_request(void* address, std::size_t length, int protection, int flags, int fd, off_t offset)
{
    return address == nullptr && length != 0 && length <= largest_kept && protection == (PROT_READ | PROT_WRITE) &&
           flags == (MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE) && fd == -1 && offset == 0;
}

// Straight to the kernel: glibc's own mmap and munmap are the ones this file replaces.
void* kernel_mmap(void* address, std::size_t length, int protection, int flags, int fd, off_t offset)
{
    const long mapped = ::syscall(SYS_mmap, address, length, protection, flags, fd, offset);
    return mapped == -1 ? MAP_FAILED : reinterpret_cast<void*>(mapped);
}

int kernel_munmap(void* address, std::size_t length)
{
    return static_cast<int>(::syscall(SYS_munmap, address, length));
}

// Plain data, set up with the thread: reading it registers nothing and allocates nothing, so
// every other mmap in the process costs one test more and no more.
struct Kept {
    void* base = nullptr;
    std::size_t length = 0;
    bool lent = false;
    unsigned long reuses = 0;
};

constinit thread_local Kept kept;

// The region is no longer the thread's (its reuse count stays, for tests).
void forget_kept()
{
    kept.base = nullptr;
    kept.length = 0;
    kept.lent = false;
}

void unmap_kept()
{
    kernel_munmap(kept.base, kept.length);
    forget_kept();
}

// Gives the region back when its thread ends (a hashing pool's threads end with the pool),
// wiped even when the thread ends with it lent. Made on the first region a thread keeps only.
struct GiveBackAtThreadEnd {
    ~GiveBackAtThreadEnd()
    {
        if (kept.base == nullptr) return;
        ::explicit_bzero(kept.base, kept.length);
        unmap_kept();
    }
};

void give_back_at_thread_end()
{
    thread_local GiveBackAtThreadEnd give_back;
    (void)&give_back;
}

// A fresh region, on 2 MiB boundaries and marked for transparent huge pages: Argon2 reads its
// blocks all over the region, and with 4 KiB pages most of those reads miss the TLB (19 MiB is
// 4,864 pages, against 9 huge ones and 1 MiB of small ones). Measured: 9 % more hashes a second
// on two cores, raw and in the server's logins alike (docs/performance.md). Where the kernel has
// no huge pages for it, the advice is ignored and the region is an ordinary one. Faulted in as
// libsodium asked (MAP_POPULATE), after the advice, so that the pages faulted are the huge ones.
void* map_region(std::size_t length, int protection)
{
    constexpr std::size_t huge_page = std::size_t{2} << 20;
    // Enough address space for an aligned start; what is not used is unmapped at once. Where
    // even that much more cannot be had (an address-space limit), libsodium's own request.
    auto* span = static_cast<char*>(
        kernel_mmap(nullptr, length + huge_page, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (span == MAP_FAILED)
        return kernel_mmap(nullptr, length, protection, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    const int saved = errno;
    const auto span_address = reinterpret_cast<std::uintptr_t>(span);
    const auto region_address = (span_address + huge_page - 1) & ~(huge_page - 1);
    auto* region = reinterpret_cast<char*>(region_address);
    const auto head = static_cast<std::size_t>(region_address - span_address);
    // (A trim that fails leaves address space mapped and unused: no memory, nothing wrong.)
    if (head != 0) kernel_munmap(span, head);
    // The region's last page ends where its length does, rounded up to a page (libsodium asks
    // for a multiple of 1 KiB); the span's end is `huge_page - head` past that.
    const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t mapped_length = (length + page - 1) / page * page;
    kernel_munmap(region + mapped_length, huge_page - head);
    (void)::madvise(region, length, MADV_HUGEPAGE);
    // A kernel older than 5.14 has no MADV_POPULATE_WRITE: the first hash faults the pages in.
    (void)::madvise(region, length, MADV_POPULATE_WRITE);
    errno = saved;
    return region;
}

bool overlaps_kept(const void* address, std::size_t length)
{
    const auto* start = static_cast<const char*>(address);
    const auto* base = static_cast<const char*>(kept.base);
    return kept.base != nullptr && start < base + kept.length && base < start + length;
}

}  // namespace

extern "C" void* mmap(void* address, std::size_t length, int protection, int flags, int fd, off_t offset) noexcept
{
    if (!argon2_request(address, length, protection, flags, fd, offset) || kept.lent)
        return kernel_mmap(address, length, protection, flags, fd, offset);
    if (kept.base != nullptr && kept.length == length) {
        kept.lent = true;
        ++kept.reuses;
        return kept.base;
    }
    // Other parameters (another memory cost): the region of the old ones goes.
    if (kept.base != nullptr) unmap_kept();
    void* fresh = map_region(length, protection);
    if (fresh == MAP_FAILED) return fresh;
    // A child forked while this thread keeps a region must not see the last hash's memory
    // (it would see the address: a kernel that cannot zero it for the child keeps nothing).
    const int saved = errno;
    if (::madvise(fresh, length, MADV_WIPEONFORK) != 0) {
        errno = saved;
        return fresh;
    }
    give_back_at_thread_end();
    kept.base = fresh;
    kept.length = length;
    kept.lent = true;
    return fresh;
}

extern "C" int munmap(void* address, std::size_t length) noexcept
{
    if (kept.lent && address == kept.base && length == kept.length) {
        // The last hash's blocks would let a guess be checked with part of its work.
        ::explicit_bzero(kept.base, kept.length);
        kept.lent = false;
        return 0;
    }
    // Any other unmapping of the region (a part of it, say) ends it: it is not ours to hand
    // out again.
    if (overlaps_kept(address, length)) forget_kept();
    return kernel_munmap(address, length);
}

extern "C" void usermgmt_give_back_kept_argon2_memory() noexcept
{
    if (kept.base == nullptr || kept.lent) return;
    unmap_kept();  // wiped when libsodium gave it back
}

namespace usermgmt::detail {

KeptRegion kept_argon2_region()
{
    return {static_cast<const unsigned char*>(kept.base), kept.length, kept.lent};
}

unsigned long kept_argon2_reuses()
{
    return kept.reuses;
}

}  // namespace usermgmt::detail
