// The worker pool's scheduling: its threads run at the priority asked for (the hashing pool's
// lower priority is what keeps token checks from waiting behind hashes for a core).
#include "internal/worker_pool.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <future>

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
