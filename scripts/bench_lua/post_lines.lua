-- POST the lines of LINES_FILE in turn, one per request: a line "PATH<TAB>BODY" posts BODY
-- to PATH, any other line is the body posted to the URL's path. CONTENT_TYPE (default
-- application/json) and an optional bearer TOKEN. Thread k of WRK_THREADS (wrk's -t) takes
-- lines k, k + WRK_THREADS, …, so no line is sent twice until the file is used up; then it
-- starts over (pay notify: later rounds are the duplicates WeChat re-sends; a pool sized
-- to the run never gets there). The stride is not counted in setup(): wrk starts each
-- thread right after its own setup() call, before the next thread's.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local lines = {}
for line in io.lines(os.getenv("LINES_FILE")) do
  local path, body = line:match("^([^\t]*)\t(.*)$")
  lines[#lines + 1] = {path, body or line}
end
local headers = {["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"}
local token = os.getenv("TOKEN")
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
local stride = tonumber(os.getenv("WRK_THREADS") or "1")
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
local i = 0
function request()
  local line = lines[((i * stride + (offset or 0)) % #lines) + 1]
  i = i + 1
  return wrk.format("POST", line[1], headers, line[2])
end
