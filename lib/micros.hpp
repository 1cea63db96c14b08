#pragma once
// Times as both stores keep them: microseconds since the Unix epoch (UTC), in a 64-bit integer.

#include <chrono>
#include <cstdint>
#include <optional>

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

/// An optional time: nullopt stays nullopt (a NULL column).
inline std::optional<std::int64_t> to_micros(std::optional<std::chrono::system_clock::time_point> t)
{
    return t ? std::optional<std::int64_t>(to_micros(*t)) : std::nullopt;
}

}  // namespace usermgmt::detail
