--[[
  Issue coupons of one template, first come first served, atomically: to one user, or to a batch
  of users served in the order given (the server sends every request of one loop turn in one call).
  Every read and check happens before the first write: Redis never rolls a script back.

  Input:
    KEYS[1] stock   string  the template's limit N (immutable during a run)
    KEYS[2] seq     string  coupons issued so far (1..N)
    KEYS[3] users   hash    userId -> seq of the coupon that user got
    KEYS[4] outbox  stream  one entry per issued coupon, read by the persister
    ARGV[1] userId      positive safe integer, as a decimal string
    ARGV[2] templateId  positive safe integer, as a decimal string
    ARGV[3..] more userIds of the same template (optional), each answered as if it came after the one before

  Output: { code, seq, issuedAtMs } for each user in turn (ARGV[1], ARGV[3], ARGV[4], ...)
    1  issued            seq = the new coupon's seq, issuedAtMs = Redis server time
    2  already issued    seq = the seq this user already holds
    3  out of stock      seq = coupons issued so far
    4  template missing  seq = 0
]]
local users = { ARGV[1] }
for i = 3, #ARGV do
  users[i - 1] = ARGV[i]
end
local out = {}
local stock = redis.call('GET', KEYS[1])
if not stock then
  for i = 1, #users do
    out[3 * i - 2], out[3 * i - 1], out[3 * i] = 4, 0, 0
  end
  return out
end
stock = tonumber(stock)
-- Reads: the duplicate check for every user, the count issued, the time.
local existing = redis.call('HMGET', KEYS[3], unpack(users))
local issued = tonumber(redis.call('GET', KEYS[2]) or '0')
local issuedAtMs = 0
if issued < stock then
  local now = redis.call('TIME')
  issuedAtMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end
-- Writes, user by user: INCR seq, HSET user, XADD outbox.
local mine = {}
for i = 1, #users do
  local u = users[i]
  local held = (existing[i] and tonumber(existing[i])) or mine[u]
  if held then
    out[3 * i - 2], out[3 * i - 1], out[3 * i] = 2, held, 0
  elseif issued >= stock then
    out[3 * i - 2], out[3 * i - 1], out[3 * i] = 3, issued, 0
  else
    issued = redis.call('INCR', KEYS[2])
    redis.call('HSET', KEYS[3], u, issued)
    redis.call('XADD', KEYS[4], '*', 'u', u, 's', issued, 't', issuedAtMs, 'tpl', ARGV[2])
    mine[u] = issued
    out[3 * i - 2], out[3 * i - 1], out[3 * i] = 1, issued, issuedAtMs
  end
end
return out
