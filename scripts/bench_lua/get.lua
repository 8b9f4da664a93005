-- GET the URL given on the command line (with an optional bearer token in TOKEN).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
