-- POST the sign-in form (as the page's script does), rotating through the seeded users,
-- each from its own client address (the server trusts X-Forwarded-For in the bench, as it
-- would behind a reverse proxy), so the per-IP limit applies per user, not to all of wrk.
local users = tonumber(os.getenv("BENCH_USERS") or "1000")
local counter = 0
local offset = 0

function setup(thread)
  thread:set("offset", math.random(0, users - 1))
end

function init(args)
  offset = tonumber(wrk.thread:get("offset")) or 0
end

request = function()
  counter = counter + 1
  local user = (offset + counter) % users
  local body = "email=user" .. user .. "%40bench.test"
  return wrk.format("POST", "/api/sign-in", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = "10.0." .. math.floor(user / 256) .. "." .. (user % 256),
  }, body)
end
