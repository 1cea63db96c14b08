-- POST /auth/users/ with a new account each time (names unique per wrk thread and run).
dofile("bench/lua/report.lua")
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local password = os.getenv("BENCH_PASSWORD")
local run = os.getenv("BENCH_RUN")
local n = 0
function request()
  n = n + 1
  local name = string.format("reg-%s-%d-%d", run, tid, n)
  local body = string.format('{"username":"%s","email":"%s@example.com","password":"%s","re_password":"%s"}',
    name, name, password, password)
  return wrk.format("POST", "/auth/users/", {["Content-Type"] = "application/json"}, body)
end
