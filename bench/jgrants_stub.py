"""A loopback stand-in for the jGrants public API (v1), in its documented
shape, for bench/import.sh: `python3 bench/jgrants_stub.py PORT N` serves N
fictional calls (every search lists all of them; each has a detail with
HTML). Never the real service."""
import http.server, json, sys, urllib.parse

PORT, N = int(sys.argv[1]), int(sys.argv[2])
IDS = [f"a0WBENCH{n:010d}" for n in range(N)]


def detail(n):
    return {"result": [{
        "id": IDS[n], "name": f"S-{n:05d}", "title": f"ベンチ用の架空の補助金 {n}",
        "subsidy_catch_phrase": "設備投資を支援します（架空）",
        "detail": "<h2>目的</h2><p>生産性向上を<a href='https://example.org/'>支援</a>します。</p>"
                  "<script>x()</script><ul><li>機械装置費</li><li>ソフトウェア費</li></ul>",
        "target_area_search": "神奈川県", "industry": "製造業",
        "use_purpose": "設備整備・IT導入をしたい", "target_number_of_employees": "300名以下",
        "subsidy_rate": "1/2以内", "subsidy_max_limit": 5000000,
        "acceptance_start_datetime": "2027-01-10T00:00:00.000Z",
        "acceptance_end_datetime": "2027-03-31T08:00:00.000Z",
        "institution_name": "架空県",
    }]}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = urllib.parse.urlparse(self.path).path
        if path == "/subsidies":
            body = {"metadata": {"resultset": {"count": N}}, "result": [{"id": i} for i in IDS]}
        elif path.startswith("/subsidies/id/") and path.rsplit("/", 1)[1] in IDS:
            body = detail(IDS.index(path.rsplit("/", 1)[1]))
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
