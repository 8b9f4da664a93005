-- GET the URL given on the command line (with an optional bearer TOKEN or session COOKIE).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
local cookie = os.getenv("COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
