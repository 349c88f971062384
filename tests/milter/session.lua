-- session.lua - one SMTP session against repguard through the milter protocol.
--
-- Run as:  miltertest -s session.lua   (settings come from the environment)
--
--   RG_SOCKET    milter socket, e.g. unix:/tmp/x/rg.sock (required)
--   RG_IP        client address (default 127.0.0.1; "unspec" = unknown family)
--   RG_HOST      client host name (default client.example)
--   RG_AUTH      {auth_authen} sent with the MAIL stage macros (default: none)
--   RG_FROM      space-separated envelope senders, one message each (default <>)
--   RG_RCPTS     space-separated recipients of every message
--                (default <rcpt@example.net>)
--   RG_MSGS      send the RG_FROM list this many times on the one connection
--   RG_QID       queue id sent as macro "i" at end of headers and end of message
--
-- Output, one line per protocol step that was sent:  "MSG STEP REPLY"
-- where MSG is the message number (0 for the connection), STEP one of connect,
-- helo, mail, rcpt, header, eoh, body, eom, and REPLY the milter reply
-- character (c continue, a accept, t tempfail, y reply code, r reject,
-- d discard, s skip), "noreply" for a step negotiated as SMFIP_NR_*,
-- or "skipped" for a step the filter asked not to see (SMFIP_NO*).
-- A message whose MAIL or RCPT reply is not "continue" is abandoned the way
-- an MTA does (abort), and the next message starts on the same connection.
-- miltertest cannot return the text of a SMFIR_REPLYCODE reply outside end of
-- message, so the tests read that from the daemon log (or a raw client).
-- On a miltertest error the script prints "ERROR what" and exits 2 (a Lua
-- error() would make miltertest exit 1 without saying anything).

local function env(name, default)
	local v = os.getenv(name)
	if v == nil or v == "" then return default end
	return v
end

local function words(s)
	local t = {}
	for w in string.gmatch(s, "%S+") do t[#t + 1] = w end
	return t
end

local function fail(what)
	print("ERROR " .. what)
	io.stdout:flush()
	os.exit(2)
end

local function replychar(r)
	if r == nil then return "nil" end
	local n = math.tointeger(r)
	if n == nil or n <= 32 or n > 126 then return "code" .. tostring(r) end
	return string.char(n)
end

local sock = env("RG_SOCKET", nil)
if sock == nil then fail("RG_SOCKET is not set") end
local ip = env("RG_IP", "127.0.0.1")
local host = env("RG_HOST", "client.example")
local auth = env("RG_AUTH", nil)
local froms = words(env("RG_FROM", "<>"))
local rcpts = words(env("RG_RCPTS", "<rcpt@example.net>"))
local nmsgs = tonumber(env("RG_MSGS", "1"))
local qid = env("RG_QID", nil)

mt.set_timeout(10)

local ok, conn = pcall(mt.connect, sock, 30, 0.1)
if not ok or conn == nil then
	fail("mt.connect(" .. sock .. ") failed: " .. tostring(conn))
end

-- Run one protocol step: call fn, then report the filter's reply.
-- Returns the reply character (or "noreply"/"skipped").
local function step(msg, name, noopt, nropt, fn, ...)
	if noopt ~= nil and msg > 0 and mt.test_option(conn, noopt) then
		print(msg .. " " .. name .. " skipped")
		return "skipped"
	end
	local ok, err = pcall(fn, conn, ...)
	if not ok or err ~= nil then
		fail("message " .. msg .. " " .. name .. ": " .. tostring(err))
	end
	local r
	if nropt ~= nil and mt.test_option(conn, nropt) then
		r = "noreply"
	else
		r = replychar(mt.getreply(conn))
	end
	print(msg .. " " .. name .. " " .. r)
	return r
end

-- The connect-stage macros Postfix sends (repguard asks for them).
local cmacros = { "j", "mx.example", "{daemon_name}", "smtpd" }
if ip ~= "unspec" then
	cmacros[#cmacros + 1] = "{client_addr}"
	cmacros[#cmacros + 1] = ip
end
mt.macro(conn, SMFIC_CONNECT, table.unpack(cmacros))
local r = step(0, "connect", nil, SMFIP_NR_CONN, mt.conninfo, host, ip)
if r ~= "c" and r ~= "noreply" then
	mt.disconnect(conn)
	os.exit(0)
end
if not mt.test_option(conn, SMFIP_NOHELO) then
	step(0, "helo", nil, SMFIP_NR_HELO, mt.helo, "client.example")
end

local function goes_on(rep)
	return rep == "c" or rep == "noreply" or rep == "skipped"
end

local msg = 0
for _ = 1, nmsgs do
	for _, from in ipairs(froms) do
		msg = msg + 1
		-- Postfix sends {mail_addr} without the angle brackets.
		local macros = { "{mail_addr}", (string.gsub(from, "^<(.*)>$", "%1")) }
		if auth ~= nil then
			macros[#macros + 1] = "{auth_type}"
			macros[#macros + 1] = "PLAIN"
			macros[#macros + 1] = "{auth_authen}"
			macros[#macros + 1] = auth
		end
		mt.macro(conn, SMFIC_MAIL, table.unpack(macros))
		local alive = goes_on(step(msg, "mail", SMFIP_NOMAIL, SMFIP_NR_MAIL,
		    mt.mailfrom, from))
		if alive then
			local accepted = 0
			for _, rcpt in ipairs(rcpts) do
				local rr = step(msg, "rcpt", SMFIP_NORCPT, SMFIP_NR_RCPT,
				    mt.rcptto, rcpt)
				if goes_on(rr) then accepted = accepted + 1 end
			end
			alive = accepted > 0
		end
		if alive then
			alive = goes_on(step(msg, "header", SMFIP_NOHDRS, SMFIP_NR_HDR,
			    mt.header, "Subject", "repguard test " .. msg))
		end
		if alive then
			if qid ~= nil then mt.macro(conn, string.byte("N"), "i", qid) end
			alive = goes_on(step(msg, "eoh", SMFIP_NOEOH, SMFIP_NR_EOH,
			    mt.eoh))
		end
		if alive then
			alive = goes_on(step(msg, "body", SMFIP_NOBODY, SMFIP_NR_BODY,
			    mt.bodystring, "Hello.\r\n"))
		end
		if alive then
			if qid ~= nil then mt.macro(conn, string.byte("E"), "i", qid) end
			step(msg, "eom", nil, nil, mt.eom)
		else
			local ok, err = pcall(mt.abort, conn)
			if not ok or err ~= nil then
				fail("message " .. msg .. " abort: " .. tostring(err))
			end
		end
	end
end

mt.disconnect(conn)
print("0 done ok")
