-- SPDX-License-Identifier: BSD-3-Clause
-- RFC 2544-style throughput search for pktgen-dpdk 23.03.0: for each frame
-- size, a binary search over pktgen's rate (percent of line rate) for the
-- highest rate at which the share of frames that do not come back is at
-- most EP_LOSS percent (default 0.001 %), then one longer confirmation
-- trial at that rate. Every trial is a line of a CSV file.
--
--   EP_PKT=scripts/pktgen/tcp-flows.pkt EP_SIZES=64,512,1500 \
--   pktgen -l 0-4 -n 4 -a <NIC> -- -P -T -m "[1:2-3].0" \
--       -f scripts/pktgen/rfc2544.lua
--
-- Settings (environment): EP_PKT command file that sets up the flows
-- (default tcp-flows.pkt next to this script), EP_TX_PORT / EP_RX_PORT
-- (default 0 / 0: edgepath is one-armed, its forwarded frames come back
-- to the port that sent them), EP_SIZES, EP_TRIAL_S (10), EP_CONFIRM_S
-- (60), EP_LOSS (0.001, percent), EP_RESOLUTION (0.5, percent of line
-- rate), EP_OUT (rfc2544.csv). See docs/benchmarking.md.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;../?.lua"
require "Pktgen"

local function env(name, default)
	local v = os.getenv(name)
	if v == nil or v == "" then return default end
	return v
end

local here = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
local cmdfile = env("EP_PKT", here .. "tcp-flows.pkt")
local txport = env("EP_TX_PORT", "0")
local rxport = env("EP_RX_PORT", "0")
local trial_ms = tonumber(env("EP_TRIAL_S", "10")) * 1000
local confirm_ms = tonumber(env("EP_CONFIRM_S", "60")) * 1000
local max_loss = tonumber(env("EP_LOSS", "0.001"))
local resolution = tonumber(env("EP_RESOLUTION", "0.5"))
local out_path = env("EP_OUT", "rfc2544.csv")
local settle_ms = 1000 -- frames in flight when pktgen stops

local sizes = {}
for s in string.gmatch(env("EP_SIZES", "64,512,1500"), "%d+") do
	sizes[#sizes + 1] = tonumber(s)
end

local out = assert(io.open(out_path, "w"))
out:write("size,trial,rate_pct,tx_packets,rx_packets,tx_mpps,rx_mpps,loss_pct,pass\n")

local function set_size(size)
	pktgen.range.pkt_size(txport, "start", size)
	pktgen.range.pkt_size(txport, "min", size)
	pktgen.range.pkt_size(txport, "max", size)
	pktgen.range.pkt_size(txport, "inc", 0)
	pktgen.set(txport, "size", size)
end

-- One trial: returns the loss in percent and whether it passed.
local function trial(size, rate, ms, label)
	pktgen.stop(txport)
	pktgen.delay(settle_ms)
	pktgen.clr()
	pktgen.set(txport, "rate", rate)
	pktgen.start(txport)
	pktgen.delay(ms)
	pktgen.stop(txport)
	pktgen.delay(settle_ms)
	local tx = pktgen.portStats(txport, "port")[tonumber(txport)].opackets
	local rx = pktgen.portStats(rxport, "port")[tonumber(rxport)].ipackets
	local loss = 100
	if tx > 0 then loss = 100 * (tx - rx) / tx end
	if loss < 0 then loss = 0 end -- frames of an earlier trial
	local pass = tx > 0 and loss <= max_loss
	local line = string.format("%d,%s,%.3f,%d,%d,%.3f,%.3f,%.5f,%s", size, label, rate,
		tx, rx, tx / ms / 1000, rx / ms / 1000, loss, pass and "yes" or "no")
	print("rfc2544: " .. line)
	out:write(line .. "\n")
	out:flush()
	return pass, loss
end

local function search(size)
	set_size(size)
	if trial(size, 100, trial_ms, "1") then
		return 100
	end
	local lo, hi, n = 0, 100, 1
	while hi - lo > resolution do
		n = n + 1
		local mid = (lo + hi) / 2
		if trial(size, mid, trial_ms, tostring(n)) then lo = mid else hi = mid end
	end
	return lo
end

pktgen.load(cmdfile)
local results = {}
for _, size in ipairs(sizes) do
	local rate = search(size)
	local text
	if rate <= 0 then
		text = "no rate passed (see the CSV)"
	else
		local ok, loss = trial(size, rate, confirm_ms, "confirm")
		if ok then
			text = string.format("%.3f %% of line rate", rate)
		else
			text = string.format("%.3f %% passed the search but lost %.5f %% in the " ..
				"confirmation trial: not a stable rate, rerun", rate, loss)
		end
	end
	results[#results + 1] = string.format("size %d: %s", size, text)
end
out:close()
for _, r in ipairs(results) do print("rfc2544: " .. r) end
print("rfc2544: trials in " .. out_path)
