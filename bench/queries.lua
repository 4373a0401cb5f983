-- wrk script shared by bench/search.sh and bench/server.sh: ten search
-- requests in turn (Japanese, English, with filters).
local queries = {"%E4%BA%8B%E6%A5%AD%E5%86%8D%E7%94%9F", "%E8%A3%9C%E5%8A%A9%E9%87%91", "%E5%86%8D%E7%94%9F",
  "%E6%A8%AA%E6%B5%9C", "%EF%BC%AB%EF%BC%A9%EF%BC%B0", "subsidy&lang=en", "seminar+yokohama&lang=en",
  "%E5%89%B5%E6%A5%AD+%E8%9E%8D%E8%B3%87", "DX&type=event", "%E4%BA%8B%E6%A5%AD%E6%89%BF%E7%B6%99&status=open"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/search?q=" .. queries[(i % #queries) + 1])
end
