--[[
  Issue one coupon of a template to a user, first come first served, atomically.
  Every read and check happens before the first write: Redis never rolls a script back.

  Input:
    KEYS[1] stock   string  the template's limit N (immutable during a run)
    KEYS[2] seq     string  coupons issued so far (1..N)
    KEYS[3] users   hash    userId -> seq of the coupon that user got
    KEYS[4] outbox  stream  one entry per issued coupon, read by the persister
    ARGV[1] userId      positive safe integer, as a decimal string
    ARGV[2] templateId  positive safe integer, as a decimal string

  Output: { code, seq, issuedAtMs }
    1  issued            seq = the new coupon's seq, issuedAtMs = Redis server time
    2  already issued    seq = the seq this user already holds
    3  out of stock      seq = coupons issued so far
    4  template missing  seq = 0
]]
local stock = redis.call('GET', KEYS[1])
if not stock then
  return { 4, 0, 0 }
end
local existing = redis.call('HGET', KEYS[3], ARGV[1])
if existing then
  return { 2, tonumber(existing), 0 }
end
local issued = tonumber(redis.call('GET', KEYS[2]) or '0')
if issued >= tonumber(stock) then
  return { 3, issued, 0 }
end
local now = redis.call('TIME')
local issuedAtMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[1], seq)
redis.call('XADD', KEYS[4], '*', 'u', ARGV[1], 's', seq, 't', issuedAtMs, 'tpl', ARGV[2])
return { 1, seq, issuedAtMs }
