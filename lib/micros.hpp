#pragma once
// Times as both stores keep them: microseconds since the Unix epoch (UTC), in a 64-bit integer.

#include <chrono>
#include <cstdint>

namespace usermgmt::detail {

inline std::int64_t to_micros(std::chrono::system_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point from_micros(std::int64_t us)
{
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(us)));
}

}  // namespace usermgmt::detail
