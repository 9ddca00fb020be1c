-- GET report links, rotating through the URLs in $BENCH_LINKS (one per line, one per
-- user), with the Accept header in $BENCH_ACCEPT. Counts answers that are not a 200: a
-- refused link would be a cheap 404, and must not pass for throughput.
local paths = {}
local counter = 0
local refused = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_LINKS")) do
    local path = line:match("https?://[^/]+(/.*)$")
    if path then table.insert(paths, path) end
  end
  -- Each thread starts at its own place in the list.
  counter = math.random(#paths)
end

request = function()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  return wrk.format("GET", path, { ["Accept"] = os.getenv("BENCH_ACCEPT") or "application/json" })
end

response = function(status, headers, body)
  if status ~= 200 then refused = refused + 1 end
  wrk.thread:set("refused", refused)
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (tonumber(thread:get("refused")) or 0) end
  io.write(string.format("not 200: %d\n", total))
end
