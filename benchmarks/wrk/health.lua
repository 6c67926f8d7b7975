-- wrk script: GET /health with the same headers, printing the same JSON as register.lua.
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

function done(summary, latency, requests)
  io.write(string.format('{"requests": %d, "seconds": %.3f, "not_201": 0, "p50_ms": %.2f,'
    .. ' "p99_ms": %.2f, "errors": %d, "sample": ""}\n', summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    + summary.errors.status))
end
