-- wrk script for bench/serve-auth.sh: GET /auth with a Bearer token taken
-- round-robin from a file (one token a line), each thread from its own offset.
--   wrk ... -s bench/serve-auth.lua URL/auth -- TOKENS_FILE
-- WRK_PATH=/healthz sends the same requests to the health check (the
-- server's HTTP ceiling, for comparison). With WRK_COUNT_STATUS=1, counts answers by status (slower: wrk then hands
-- every answer to Lua) and prints "status <code> <count>" lines.

local tokens, n, i = {}, 0, 0
local threads = {}
local count = os.getenv("WRK_COUNT_STATUS") == "1"
local path = os.getenv("WRK_PATH") or "/auth"

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      n = n + 1
      tokens[n] = line
    end
  end
  i = (id or 0) * math.floor(n / 2)
end

function request()
  i = i % n + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[i] })
end

if count then
  statuses = {}
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.0f p50_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
  if count then
    local total = {}
    for _, t in ipairs(threads) do
      local s = t:get("statuses")
      if s then
        for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
      end
    end
    for k, v in pairs(total) do io.write(string.format("status %d %d\n", k, v)) end
  end
end
