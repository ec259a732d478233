--[[
  Create a template with its stock, or confirm an identical one exists. Stock is immutable:
  asking again with another stock is a conflict, never a silent change.

  Input:
    KEYS[1] stock   string
    KEYS[2] seq     string
    KEYS[3] users   hash    (unused; passed so every touched key is declared)
    KEYS[4] outbox  stream
    ARGV[1] stock       positive safe integer, as a decimal string
    ARGV[2] group       the persister's consumer group name

  Output: { code, stock, issued }
    0  created
    1  already exists with the same stock
    2  conflict: exists with another stock (stock = the existing one)
]]
local current = redis.call('GET', KEYS[1])
if current then
  local issued = tonumber(redis.call('GET', KEYS[2]) or '0')
  if current == ARGV[1] then
    return { 1, tonumber(current), issued }
  end
  return { 2, tonumber(current), issued }
end
redis.call('SET', KEYS[2], '0')
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[4], ARGV[2], '0', 'MKSTREAM')
else
  pcall(redis.call, 'XGROUP', 'CREATE', KEYS[4], ARGV[2], '0')
end
return { 0, tonumber(ARGV[1]), 0 }
