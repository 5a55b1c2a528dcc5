-- wrk script of bench/return_endpoint.py: POSTs bodies prepared by the script, so that every
-- request sent is known (which body, how many), and writes its figures as JSON.
--
-- Environment (set by return_endpoint.py):
--   BENCH_BODIES   file, one body per line; "\", CR, LF and non-printable bytes written as \xHH
--   BENCH_PATH     the path to POST to
--   BENCH_THREADS  wrk's -t: thread k sends bodies k, k+T, k+2T, … (1-based: k+1, …), cycling
--   BENCH_OUT      where done() writes the JSON result
--
-- "sent" counts the calls of request() that put a request on the wire. wrk (4.x) also
-- calls request() once on thread 0 before starting, to check what it returns, and does not
-- send that one: it is answered without being counted.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local function unescape(line)
   if line:find("\\", 1, true) then
      line = line:gsub("\\x(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
   end
   return line
end

function init(args)
   local nthreads = tonumber(os.getenv("BENCH_THREADS"))
   local path = os.getenv("BENCH_PATH")
   local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
   reqs = {}
   local i = 0
   for line in io.lines(os.getenv("BENCH_BODIES")) do
      if i % nthreads == id then
         reqs[#reqs + 1] = wrk.format("POST", path, headers, unescape(line))
      end
      i = i + 1
   end
   sent = 0
   checking = (id == 0)
end

function request()
   if checking then
      checking = false
      return reqs[1]
   end
   local r = reqs[sent % #reqs + 1]
   sent = sent + 1
   return r
end

function done(summary, latency, requests)
   local per_thread = {}
   for _, t in ipairs(threads) do
      per_thread[#per_thread + 1] = string.format('{"id": %d, "sent": %d}', t:get("id"), t:get("sent"))
   end
   local e = summary.errors
   local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
   f:write(string.format(
      '{"completed": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
         .. '"status": %d, "timeout": %d}, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
         .. '"mean_us": %.1f, "threads": [%s]}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean, table.concat(per_thread, ", ")))
   f:close()
end
