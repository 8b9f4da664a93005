-- POST /api/v1/mp/session with a fresh one-time sandbox code per request (the random
-- part seeded by the clock: a second run on the same database sends new codes too).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
math.randomseed(os.time())
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
function request()
  counter = counter + 1
  local body = string.format(
    '{"code": "code-bench-%d-%d-%d", "latitude": 31.2297, "longitude": 121.4552}',
    tid or 0, counter, math.random(1, 1000000000))
  return wrk.format("POST", "/api/v1/mp/session", {["Content-Type"] = "application/json"}, body)
end
