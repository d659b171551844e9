-- One benchmark scenario for wrk. `wrk ... -s scenario.lua -- FILE [MODE THREADS]` reads its requests
-- from FILE, one per line: METHOD, a tab, the path, and optionally a tab and the body. The
-- connections of each thread take the lines in turn, each thread starting at its own place.
--
-- MODE "write" measures FHIR writes: it alternates creating a Task (the lines' POSTs) with
-- updating one (the lines' PUTs, whose If-Match comes from the version the server last reported
-- for that Task, read from each response body), so no two updates of one Task race and every
-- update is expected to succeed.
--
-- At the end it prints one line, `RESULT {json}`, with the counts and latency percentiles in ms,
-- and for a run with errors their kinds and the statuses of failed responses.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local lines, creates, ready, versions, flips, bodies = {}, {}, {}, {}, {}, {}
local next_line, turn, write_mode = 1, 0, false

function init(args)
  write_mode = args[2] == "write"
  -- Each thread updates its own share of the Tasks: two threads updating one Task would race.
  local threads, puts = tonumber(args[3] or "1"), 0
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
    local r = { method = method, path = path, body = body ~= "" and body or nil }
    if write_mode and method == "PUT" then
      puts = puts + 1
      if (puts - 1) % threads == (id or 1) - 1 then
        local task = path:match("/Task/([%w%-]+)$")
        versions[task] = "1"
        flips[task] = 0
        bodies[task] = body
        ready[#ready + 1] = task
      end
    elseif write_mode then
      creates[#creates + 1] = r
    else
      lines[#lines + 1] = r
    end
  end
  local n = write_mode and #creates or #lines
  next_line = ((id or 1) - 1) * math.floor(n / 2) % math.max(n, 1) + 1
end

local function take(list)
  local r = list[next_line]
  next_line = next_line % #list + 1
  return r
end

function request()
  if not write_mode then
    local r = take(lines)
    return wrk.format(r.method, r.path, nil, r.body)
  end
  turn = turn + 1
  if turn % 2 == 0 and #ready > 0 then
    local task = table.remove(ready, 1)
    -- wrk.format uses the headers given instead of the command line's, so start from those.
    local headers = {}
    for k, v in pairs(wrk.headers) do
      headers[k] = v
    end
    headers["If-Match"] = 'W/"' .. versions[task] .. '"'
    -- Each update really changes the Task: its status flips every time.
    flips[task] = flips[task] + 1
    local status = (flips[task] % 2 == 0) and "accepted" or "in-progress"
    local body = bodies[task]:gsub("__STATUS__", status)
    return wrk.format("PUT", "/fhir/Task/" .. task, headers, body)
  end
  local r = take(creates)
  return wrk.format(r.method, r.path, nil, r.body)
end

-- Failed responses by status, so a run with errors says what the server answered.
failed = {}

function response(status, headers, body)
  if status >= 400 then
    failed[status] = (failed[status] or 0) + 1
  end
  if not write_mode or status ~= 200 then
    return
  end
  -- An update answers with the Task: note its new version and make it ready again.
  local task = body:match('"id":"([%w%-]+)"')
  -- Not always a number: Medplum's versions are UUIDs.
  local version = body:match('"versionId":"([^"]+)"')
  if task and version and versions[task] then
    versions[task] = version
    ready[#ready + 1] = task
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local counts, statuses = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("failed") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  for status, n in pairs(counts) do
    statuses[#statuses + 1] = string.format('"%d": %d', status, n)
  end
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "errors": %d, "error_kinds": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, "failed_statuses": {%s}, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "mean_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, errors, e.connect, e.read, e.write, e.timeout, e.status,
    table.concat(statuses, ", "),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
