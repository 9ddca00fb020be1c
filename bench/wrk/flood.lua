-- A flood of sign-in requests from BENCH_NETWORKS networks (one address in each IPv4 /24:
-- 10.a.b.1), each for a new address so that no per-address limit stops it: what an
-- attacker holding that many networks can send. The per-IP limit admits each address's
-- first 60 in the window and refuses the rest, which still cost the server their parsing.
local networks = tonumber(os.getenv("BENCH_NETWORKS") or "1000")
local counter = 0
local thread_id = 0
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("id", next_thread)
end

function init(args)
  thread_id = tonumber(wrk.thread:get("id")) or 0
end

request = function()
  counter = counter + 1
  local network = (counter * 7 + thread_id) % networks
  local body = "email=f" .. thread_id .. "x" .. counter .. "%40flood.test"
  return wrk.format("POST", "/api/sign-in", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = "10." .. math.floor(network / 256) .. "." .. (network % 256) .. ".1",
  }, body)
end
