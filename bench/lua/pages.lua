-- GET /auth/users/?limit=50&offset=<random> across BENCH_USERS users, as staff.
dofile("bench/lua/report.lua")
local token = os.getenv("BENCH_TOKEN")
local users = tonumber(os.getenv("BENCH_USERS"))
function request()
  local offset = math.random(0, math.max(0, users - 50))
  return wrk.format("GET", "/auth/users/?limit=50&offset=" .. offset, {["Authorization"] = "Bearer " .. token})
end
