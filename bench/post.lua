-- wrk script of bench/server_rps: every request is the JSON-RPC 2.0 call
-- happy_birthday("Greg"), POSTed as application/json on a keep-alive
-- connection.
--   wrk -t2 -c8 -d10s -s post.lua http://127.0.0.1:PORT/birthday
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","method":"happy_birthday","params":["Greg"],"id":1}'
wrk.headers["Content-Type"] = "application/json"
