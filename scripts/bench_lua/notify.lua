-- POST signed pay notifies from the file in NOTIFY_FILE (one XML body per line), cycling:
-- the first round posts each payment, later rounds are the duplicates WeChat re-sends.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local bodies = {}
for line in io.lines(os.getenv("NOTIFY_FILE")) do bodies[#bodies + 1] = line end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("offset", threads)
end
local i = 0
function request()
  i = i + 1
  local body = bodies[((i * 2 + (offset or 0)) % #bodies) + 1]
  return wrk.format("POST", "/api/v1/pay/notify", {["Content-Type"] = "application/xml"}, body)
end
