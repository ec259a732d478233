--[[
  Raise a template's issued count to at least the highest seq the database holds, never lower it:
  used when Redis came back holding fewer coupons than the database (it lost writes), so that it
  does not hand out a seq a persisted coupon already has.

  Input:
    KEYS[1] seq   string  coupons issued so far
    ARGV[1] seq   the database's highest seq, a positive safe integer

  Output: the issued count afterwards
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if current < floor then
  redis.call('SET', KEYS[1], floor)
  return floor
end
return current
