-- POST a purchase's points with a new Idempotency-Key and order ID on every request, so that
-- each one is a real write (a repeat would be answered from the stored response), for the
-- customers given in turn.
-- Arguments: a prefix unique to the run, then the customers' IDs.
local prefix, customers, counter = "bench", {}, 0

function init(args)
  -- Threads share the prefix; the table's address tells them apart.
  prefix = (args[1] or "bench") .. "-" .. tostring({}):gsub("table: ", "")
  for i = 2, #args do
    customers[#customers + 1] = args[i]
  end
end

function request()
  counter = counter + 1
  local key = prefix .. "-" .. counter
  local customer = customers[counter % #customers + 1]
  local headers = {
    ["Authorization"] = wrk.headers["Authorization"],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }
  local path = "/api/customer-id/loyalty/" .. customer .. "/points"
  return wrk.format("POST", path, headers, '{"purchaseAmount": 10, "orderId": "' .. key .. '"}')
end
