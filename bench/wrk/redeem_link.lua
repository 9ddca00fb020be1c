-- POST "Continue" on sign-in links (the redemption that creates a session). Each thread
-- spends its own share of the links in $BENCH_LINKS, one token per request, and counts
-- how many signed in (redirect to the dashboard) versus were refused.
local threads = {}
local tokens = {}
local next_token = 0
local signed_in = 0
local refused = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local id = tonumber(wrk.thread:get("id"))
  -- Each thread's Lua state is separate: the thread count comes from the script's caller.
  local count = tonumber(os.getenv("BENCH_THREADS") or "2")
  local index = 0
  for line in io.lines(os.getenv("BENCH_LINKS")) do
    local token = line:match("token=([%w_%-]+)")
    if token and index % count == id then
      table.insert(tokens, token)
    end
    index = index + 1
  end
end

request = function()
  next_token = next_token + 1
  -- Past the end, links repeat: those requests are refused (counted), not signed in.
  local token = tokens[((next_token - 1) % #tokens) + 1]
  -- As behind the reverse proxy the server is told to trust: without the header, each
  -- request would be one the server has to fall back on the peer address for.
  local client = next_token % 1000
  return wrk.format("POST", "/api/sign-in/link", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = "10.0." .. math.floor(client / 256) .. "." .. (client % 256),
  }, "token=" .. token)
end

response = function(status, headers, body)
  if headers["Location"] == "/dashboard" or headers["location"] == "/dashboard" then
    signed_in = signed_in + 1
  else
    refused = refused + 1
  end
  wrk.thread:set("signed_in", signed_in)
  wrk.thread:set("refused", refused)
end

done = function(summary, latency, requests)
  local ok, no = 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + (tonumber(thread:get("signed_in")) or 0)
    no = no + (tonumber(thread:get("refused")) or 0)
  end
  io.write(string.format("signed in: %d, refused: %d\n", ok, no))
end
