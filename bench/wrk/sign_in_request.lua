-- POST the sign-in form (as the page's script does), rotating through the seeded users.
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
  local body = "email=user" .. ((offset + counter) % users) .. "%40bench.test"
  return wrk.format("POST", "/api/sign-in",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
