--[[
  Finish rebuilding a template that Redis lost (a Redis restarted without persistence, or a new
  private redis-server) from the database, the record of every persisted coupon. The caller first
  HSETs every persisted (userId -> seq) into the users hash; this script then makes the template
  live in one step: until the stock key exists, the issue script answers "template missing", so no
  request sees a half-restored template. A template that exists already (created or restored by
  someone else meanwhile) is left untouched.

  Input:
    KEYS[1] stock   string
    KEYS[2] seq     string
    KEYS[3] users   hash    (already holds the persisted users)
    KEYS[4] outbox  stream
    ARGV[1] stock       the template's stock as the database holds it, a positive safe integer
    ARGV[2] seq         the highest seq the database holds (0 when none): issuing resumes after it
    ARGV[3] group       the persister's consumer group name

  Output: { code, stock, issued }
    0  restored            issued = the seq issuing resumes after
    1  exists already      stock and issued as Redis holds them (nothing changed)
]]
local current = redis.call('GET', KEYS[1])
if current then
  return { 1, tonumber(current), tonumber(redis.call('GET', KEYS[2]) or '0') }
end
local seq = tonumber(ARGV[2])
local left = tonumber(redis.call('GET', KEYS[2]) or '0')
if left > seq then seq = left end
redis.call('SET', KEYS[2], seq)
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[4], ARGV[3], '0', 'MKSTREAM')
else
  pcall(redis.call, 'XGROUP', 'CREATE', KEYS[4], ARGV[3], '0')
end
return { 0, tonumber(ARGV[1]), seq }
