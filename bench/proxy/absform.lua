-- bench/proxy/absform.lua: the wrk script of the ka and close workloads of the
-- proxy benchmark.
-- wrk connects to the URL on its command line (the proxy, or the origin for
-- "direct") and sends one static request per turn (no request() callback, so
-- wrk stays on its fast path). Environment:
--   BENCH_TARGET    absolute URL, e.g. http://127.0.0.1:18080/100b: send the
--                   absolute form "GET http://127.0.0.1:18080/100b HTTP/1.1"
--                   with "Host: 127.0.0.1:18080" (forward-proxy request).
--                   Unset/empty: plain origin-form request from the URL (direct).
--   BENCH_CLOSE     "1": add "Connection: close" (new connection per request).
local target = os.getenv("BENCH_TARGET") or ""
if target ~= "" then
  wrk.method = "GET"
  wrk.path = target
  wrk.headers["Host"] = target:match("^%a+://([^/]+)")
end
if os.getenv("BENCH_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end
