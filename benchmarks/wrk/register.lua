-- wrk script: POST /residents with a valid, unique registration each time.
-- wrk -s register.lua URL -- <token> <base>: every thread takes its own NIK region (kecamatan
-- 3216<thread>) and numbers its requests from <base>, so runs against one database never repeat
-- a NIK. Counts the answers that are not 201 and prints them as JSON at the end.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  base = tonumber(args[2])
  region = string.format("3216%02d", id)
  failures = 0
  statuses = ""
end

function request()
  local i = base + counter
  counter = counter + 1
  local serial = i % 9999 + 1
  local d = math.floor(i / 9999)
  local day = d % 28 + 1
  local month = math.floor(d / 28) % 12 + 1
  local yy = 80 + math.floor(d / 336) % 20
  local nik = string.format("%s%02d%02d%02d%04d", region, day, month, yy, serial)
  local body = string.format([[{"nik":"%s","full_name":"Warga Beban %d","sex":"L",
"birth_date":"19%02d-%02d-%02d","birth_place":"Bekasi","phone":"0812%08d",
"email":"beban%d@example.org","address":{"street":"Jl. Raya Industri 12","rt":"001",
"rw":"004","desa_kode":"32.16.09.2004"},"education":{"level":5,"track":"kejuruan",
"major":"Teknik Mesin"},"skills":["pengelasan"],"occupation_interests":["7212.01"],
"consent":{"contact":true,"channels":["whatsapp"]}}]], nik, i, yy, month, day, i % 100000000, i)
  return wrk.format("POST", "/residents", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    failures = failures + 1
    if #statuses < 300 then statuses = statuses .. status .. ":" .. string.sub(body, 1, 120) .. " " end
  end
end

function done(summary, latency, requests)
  local failed, sample = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    sample = sample .. thread:get("statuses")
  end
  io.write(string.format('{"requests": %d, "seconds": %.3f, "not_201": %d, "p50_ms": %.2f,'
    .. ' "p99_ms": %.2f, "errors": %d, "sample": %q}\n', summary.requests,
    summary.duration / 1e6, failed, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout, sample))
end
