"""A real gateway for the security checks: Debian's nginx (with its Lua module) in front of an
OpenAI-compatible server, enforcing the source design's rules, or deliberately misconfigured.

Good: keys from a map (401 otherwise), `limit_req` per key (N per W, a smooth bucket, 429 with
Retry-After: the time to the bucket's next free place), the message contents' characters counted
in Lua (413 past the limit), hidden characters stripped from them, bodies over 1 MiB refused by
`client_max_body_size`.
Misconfigured: the limit at 16,384 characters, one fixed-window counter shared by every key.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.llama_server import stop

LUA_MODULES = ("/usr/lib/nginx/modules/ndk_http_module.so", "/usr/lib/nginx/modules/ngx_http_lua_module.so")

# strip zero-width, bidi, tag and control characters (UTF-8 byte patterns), count characters
LUA_CONTENT = r"""
local cjson = require "cjson.safe"
local HIDDEN = {"\226\128[\139-\141]", "\226\129\160", "\239\187\191", "\226\128[\170-\174]",
                "\226\129[\166-\169]", "\243\160[\128-\129][\128-\191]", "[%z\1-\8\11\12\14-\31\127]"}
ngx.req.read_body()
local body = ngx.req.get_body_data()
if not body then return ngx.exit(413) end
local req = cjson.decode(body)
if type(req) ~= "table" or type(req.messages) ~= "table" then return ngx.exit(400) end
local chars = 0
for _, m in ipairs(req.messages) do
  if type(m.content) == "string" then
    local text = m.content
    for _, p in ipairs(HIDDEN) do text = string.gsub(text, p, "") end
    m.content = text
    local _, n = string.gsub(text, "[^\128-\191]", "")
    chars = chars + n
  end
end
if chars > __LIMIT__ then
  ngx.status = 413
  ngx.header["Content-Type"] = "application/json"
  ngx.say('{"error": {"message": "input longer than __LIMIT__ characters"}}')
  return ngx.exit(413)
end
ngx.req.set_body_data(cjson.encode(req))
"""

LUA_FIXED_WINDOW = r"""
local slot = math.floor(ngx.now() / __WINDOW__)
local used = ngx.shared.windows:incr("all:" .. slot, 1, 0, __WINDOW__ * 2)
if used > __REQUESTS__ then
  ngx.status = 429
  ngx.header["Retry-After"] = "__WINDOW__"
  ngx.say('{"error": {"message": "rate limited"}}')
  return ngx.exit(429)
end
"""

CONF = """
load_module {ndk};
load_module {luamod};
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  client_max_body_size 1m;
  client_body_buffer_size 1m;
  lua_shared_dict windows 1m;
  map $http_authorization $client {{ {keys} default ""; }}
  limit_req_zone $client zone=perkey:1m rate={per_minute}r/m;
  limit_req_status 429;
  server {{
    listen 127.0.0.1:{port};
    location /v1/ {{
      if ($client = "") {{ return 401 '{{"error": {{"message": "invalid API key"}}}}'; }}
      {limit_req}
      access_by_lua_block {{ {lua} }}
      proxy_pass {backend}/;
      proxy_read_timeout 300s;
    }}
    location @limited {{
      add_header Retry-After {retry} always;
      return 429 '{{"error": {{"message": "rate limited"}}}}';
    }}
  }}
}}
"""


def available() -> bool:
    return shutil.which("nginx") is not None and all(Path(m).exists() for m in LUA_MODULES)


def config(directory: Path, port: int, backend: str, keys: tuple[str, ...], requests: int, window_s: int,
           limit_chars: int, fixed_shared: bool) -> str:
    lua = LUA_CONTENT.replace("__LIMIT__", str(limit_chars))
    if fixed_shared:
        lua = LUA_FIXED_WINDOW.replace("__WINDOW__", str(window_s)).replace("__REQUESTS__", str(requests)) + lua
        limit_req = ""
    else:
        limit_req = f"limit_req zone=perkey burst={requests - 1} nodelay; error_page 429 = @limited;"
    return CONF.format(ndk=LUA_MODULES[0], luamod=LUA_MODULES[1], user="user root;" if os.geteuid() == 0 else "",
                       dir=directory, keys=" ".join(f'"Bearer {k}" "k{i}";' for i, k in enumerate(keys)),
                       per_minute=round(requests * 60 / window_s), port=port, limit_req=limit_req,
                       lua=lua, backend=backend.rstrip("/"), retry=math.ceil(window_s / requests))


@contextmanager
def nginx_gateway(backend: str, directory: Path, keys: tuple[str, ...], requests: int = 5, window_s: int = 3,
                  limit_chars: int = 8192, fixed_shared: bool = False) -> Iterator[str]:
    """The gateway's base URL (…/v1) in front of `backend` (…/v1) while nginx runs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "nginx.conf"
    conf.write_text(config(directory, port, backend, keys, requests, window_s, limit_chars, fixed_shared))
    proc = subprocess.Popen(["nginx", "-p", str(directory), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"nginx did not start: {proc.stderr.read().decode()[-2000:]}")
            try:
                httpx.get(f"{base}/models", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        stop(proc, 10)
