-- wrk script: ends the run once a fixed number of responses (the first script argument) came
-- back, and prints "counted <n> responses, <m> not 2xx", so a run makes a known number of
-- requests (bench/gateway.ts's BENCH_CALLGRIND mode). wrk's own summary is not printed.
-- `wrk ... -s stop-after.lua -- <n> other.lua` first runs other.lua (a request's method and body).
local limit, seen, failed = 0, 0, 0
function init(args)
  limit = tonumber(args[1])
  if args[2] then dofile(args[2]) end
end

function response(status)
  seen = seen + 1
  if status < 200 or status > 299 then failed = failed + 1 end
  if seen >= limit then
    io.write(string.format("counted %d responses, %d not 2xx\n", seen, failed))
    io.flush()
    os.exit(0)
  end
end
