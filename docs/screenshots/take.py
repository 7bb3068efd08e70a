import base64, json, os, socket, subprocess, sys, time, urllib.request
BIN = "/work/main/target/debug/yizhan"; PW = "yizhan-demo-2022"; OUT = sys.argv[1]; DB = "/tmp/s13/d"
D = "@demo.yizhan.example"
def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
port = free()
env = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite://{DB}/y.db", "YIZHAN_BIND": f"127.0.0.1:{port}",
       "YIZHAN_CONFIG_DIR": "/nonexistent", "YIZHAN__MAIL__FILE_DIR": f"{DB}/mail", "RUST_LOG": "warn"}
srv = subprocess.Popen([BIN, "serve"], env=env, stdout=open(f"{DB}/log", "w"), stderr=subprocess.STDOUT)
base = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/readyz"); break
    except Exception: time.sleep(0.3)
drv_port = free()
drv = subprocess.Popen(["chromedriver", f"--port={drv_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
wd = f"http://127.0.0.1:{drv_port}"
def w(method, path, body=None):
    r = urllib.request.Request(wd + path, data=json.dumps(body or {}).encode() if method != "GET" else None, method=method)
    r.add_header("content-type", "application/json")
    with urllib.request.urlopen(r) as resp: return json.loads(resp.read())["value"]
sess = w("POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--lang=zh-CN", f"--user-data-dir={DB}/ud"], "prefs": {"intl.accept_languages": "zh-CN,zh"}}}}})["sessionId"]
S = f"/session/{sess}"
def go(path): w("POST", S + "/url", {"url": base + path}); time.sleep(0.3)
def js(script): return w("POST", S + "/execute/sync", {"script": script, "args": []})
def el(css): return list(w("POST", S + "/element", {"using": "css selector", "value": css}).values())[0]
def typ(css, text): w("POST", S + f"/element/{el(css)}/value", {"text": text})
def click(css): w("POST", S + f"/element/{el(css)}/click")
def size(x, y):
    w("POST", S + "/window/rect", {"width": x, "height": y})
    # the viewport, not the window, at the wanted size
    iw, ih = js("return [window.innerWidth, window.innerHeight];")
    w("POST", S + "/window/rect", {"width": x + (x - iw), "height": y + (y - ih)})
def shot(name): open(f"{OUT}/{name}.png", "wb").write(base64.b64decode(w("GET", S + "/screenshot"))); print("shot", name)
def login(who):
    go("/logout") if False else None
    js("document.cookie.split(';').forEach(c => document.cookie = c.split('=')[0] + '=;expires=Thu, 01 Jan 1970 00:00:00 GMT;path=/');")
    w("DELETE", S + "/cookie")
    go("/login"); typ("#email", who + D); typ("#password", PW); click("main form button[type=submit]"); time.sleep(0.6)
def scroll(css): js(f"const t=document.querySelector({json.dumps(css)}); if(t) t.scrollIntoView(); return !!t;"); time.sleep(0.2)
def first_ticket(): return js("const a=[...document.querySelectorAll('table a[href^=\"/tickets/\"]')].map(a=>a.getAttribute('href')); return a[0];")
try:
    size(1366, 900)
    go("/login"); login("pudong.officer")
    go("/workbench"); shot("desk-workbench")
    t = first_ticket(); go(t); shot("desk-ticket")
    scroll("#filer, .filer, section.filer"); shot("desk-ticket-filer")
    go(t + "/print"); shot("desk-print")
    login("miit")
    go("/dashboard"); scroll("#map-h"); shot("dashboard-map")
    login("admin")
    go("/admin/users"); shot("admin-users")
    size(390, 844)
    login("suzhou.firm")
    go("/portal"); shot("phone-portal")
    t = first_ticket() or js("return [...document.querySelectorAll('a[href^=\"/tickets/\"]')].map(a=>a.getAttribute('href')).filter(h=>/\\d$/.test(h))[0];")
    go(t); shot("phone-ticket")
    login("pudong.officer"); go("/workbench"); shot("phone-workbench")
    login("miit"); go("/dashboard"); shot("phone-dashboard")
finally:
    try: w("DELETE", S)
    except Exception: pass
    drv.kill(); srv.kill()
