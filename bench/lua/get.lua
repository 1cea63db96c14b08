-- GET the URL with the bearer token of BENCH_TOKEN.
dofile("bench/lua/report.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
