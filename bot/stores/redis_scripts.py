"""The Lua scripts behind ``RedisStore``'s atomic primitives.

Each runs as one command on the server, which is what makes compare-and-set, create-all-
or-nothing and increment-then-expire atomic across replicas without client-side locks.
Kept apart from the store's Python so each script reads as a whole, with what its KEYS
and ARGV are.
"""

from __future__ import annotations

# KEYS[1] key; ARGV[1] expected, ARGV[2] new value. KEEPTTL: a compare-and-set
# must not make a lease or a dedup marker immortal (or shorten it).
REPLACE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""

# KEYS: ARGV[1] keys to create, then the indexes; ARGV: that count, then each key's
# value and ttl in ms (0 for none), then each index entry's member and score. Nothing is
# written if any key exists: then what every key holds comes back (false for none,
# which the reply turns into nil); an empty reply means everything was written.
ADD_ALL_LUA = """
local n = tonumber(ARGV[1])
local held, taken = {}, false
for i = 1, n do
  held[i] = redis.call('GET', KEYS[i])
  if held[i] then taken = true end
end
if taken then
  return held
end
for i = 1, n do
  local ttl = tonumber(ARGV[2 * i + 1])
  if ttl > 0 then
    redis.call('SET', KEYS[i], ARGV[2 * i], 'PX', ttl)
  else
    redis.call('SET', KEYS[i], ARGV[2 * i])
  end
end
for j = n + 1, #KEYS do
  local a = 2 * n + 2 * (j - n)
  redis.call('ZADD', KEYS[j], ARGV[a + 1], ARGV[a])
end
return {}
"""

# KEYS[1] key; ARGV[1] ttl in ms, 0 for none. The TTL is set only by the call that
# created the counter, so a rate-limit window is not extended by every hit.
INCR_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
"""

# KEYS: ARGV[1] keys to read, then the counters; ARGV[2] the counters' ttl in ms.
# One round trip for everything a turn needs before its handler runs.
READ_AND_COUNT_LUA = """
local n = tonumber(ARGV[1])
local out = {}
for i = 1, n do
  out[i] = redis.call('GET', KEYS[i])
end
for i = n + 1, #KEYS do
  local c = redis.call('INCR', KEYS[i])
  if c == 1 and tonumber(ARGV[2]) > 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  end
  out[i] = c
end
return out
"""

# For ``NearCache``: KEYS: ARGV[1] keys to read, then the counters; ARGV[2] the
# counters' ttl in ms. Each key read gives two entries, its value and its PTTL (-2
# missing, -1 no expiry), so the cache never keeps a value longer than Redis would.
READ_FOR_CACHE_LUA = """
local n = tonumber(ARGV[1])
local out = {}
for i = 1, n do
  out[2 * i - 1] = redis.call('GET', KEYS[i])
  out[2 * i] = redis.call('PTTL', KEYS[i])
end
for i = n + 1, #KEYS do
  local c = redis.call('INCR', KEYS[i])
  if c == 1 and tonumber(ARGV[2]) > 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  end
  out[n + i] = c
end
return out
"""

# KEYS: counters; ARGV[2i-1] what to add to KEYS[i], ARGV[2i] its ttl in ms. A counter
# that has no expiry yet gets one (it may have expired and been created again here).
ADD_COUNTS_LUA = """
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  if redis.call('PTTL', KEYS[i]) == -1 and tonumber(ARGV[2 * i]) > 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
  end
end
return out
"""
