-- POST /auth/jwt/create/ for the BENCH_LOGIN_USERS accounts in turn.
dofile("bench/lua/report.lua")
local count = tonumber(os.getenv("BENCH_LOGIN_USERS"))
local password = os.getenv("BENCH_PASSWORD")
local n = 0
function request()
  n = n + 1
  local body = string.format('{"username":"bench-login-%d","password":"%s"}', n % count, password)
  return wrk.format("POST", "/auth/jwt/create/", {["Content-Type"] = "application/json"}, body)
end
