// The worker pool's scheduling: its threads run at the priority asked for (the hashing pool's
// lower priority is what keeps token checks from waiting behind hashes for a core).
#include "internal/worker_pool.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace {

struct Seen {
    int policy = -1;
    int nice = 0;
};

Seen seen_by_worker(int nice)
{
    usermgmt::detail::WorkerPool pool(1, 4, nice);
    std::promise<Seen> seen;
    REQUIRE(pool.try_post([&] {
        Seen s;
        s.policy = sched_getscheduler(0);
        errno = 0;
        s.nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
        seen.set_value(s);
    }));
    return seen.get_future().get();
}

}  // namespace

TEST_CASE("Worker threads run at the priority asked for: the same, a nice increment, or idle", "[core][pool]")
{
    errno = 0;
    const int mine = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    const auto same = seen_by_worker(0);
    CHECK(same.policy == SCHED_OTHER);
    CHECK(same.nice == mine);
    const auto lower = seen_by_worker(10);
    CHECK(lower.policy == SCHED_OTHER);
    CHECK(lower.nice == std::min(mine + 10, 19));
    CHECK(seen_by_worker(20).policy == SCHED_IDLE);
}

TEST_CASE("A worker idle past its idle time (nothing to give back here) goes on taking jobs", "[core][pool]")
{
    using namespace std::chrono_literals;
    std::atomic<int> ran{0};
    {
        usermgmt::detail::WorkerPool pool(2, 8, 0, 10ms);
        for (int round = 0; round < 3; ++round) {
            std::this_thread::sleep_for(50ms);  // past the idle time: each worker gives back
            for (int i = 0; i < 2; ++i) REQUIRE(pool.try_post([&ran] { ++ran; }));
            const auto start = std::chrono::steady_clock::now();
            while (ran.load() < 2 * (round + 1) && std::chrono::steady_clock::now() - start < 30s)
                std::this_thread::sleep_for(1ms);
            CHECK(ran.load() == 2 * (round + 1));
        }
    }  // and the pool still ends, its threads joined
    CHECK(ran.load() == 6);
}
