"""Schemathesis hooks of scripts/contract (see that script for the design).

1. Real objects: generated ids are random, so nearly every call to /…/{id}/… would only meet a
   404. Half of the generated integer ids (chosen by a hash of the value, so runs repeat) are
   mapped onto 1..8, where the demo has users, cameras, hot lists, agreements; half of the
   generated agency ids onto the demo's agencies. Invalid values (wrong type) are left alone.
2. The run's own credentials stay usable: a call to /api/v1/users/{id}/… aimed at the signed-in
   user (SL_USER_ID) or to /api/v1/cameras/{id}/… aimed at the run's camera (SL_CAMERA_ID) is
   redirected to an id that does not exist, so a fuzzed password reset, role change, disable,
   key rotation or revocation cannot lock the run out. Every other value is sent as generated.
"""

import os
import zlib

import schemathesis

OWN_ID = os.environ.get("SL_USER_ID", "")
CAMERA_ID = os.environ.get("SL_CAMERA_ID", "")
MISSING_ID = 2_000_000_000
AGENCIES = [
    "oak-park-pd",
    "lakeside-hoa",
    "harris-county-so",
    "sacramento-pd",
    "pp-muenchen",
    "ice-ero-chicago",
]


def _real(value):
    h = zlib.crc32(repr(value).encode())
    if h % 2:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return 1 + (h // 2) % 8
    if isinstance(value, str) and value and not value.lstrip("-").isdigit():
        return AGENCIES[(h // 2) % len(AGENCIES)]
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    params = case.path_parameters
    if not params:
        return
    for name in ("id", "agency"):
        if name in params:
            params[name] = _real(params[name])
    path = case.operation.path
    if OWN_ID and path.startswith("/api/v1/users/{id}") and str(params.get("id")) == OWN_ID:
        params["id"] = MISSING_ID
    if CAMERA_ID and path.startswith("/api/v1/cameras/{id}") and str(params.get("id")) == CAMERA_ID:
        params["id"] = MISSING_ID


# 3. Sign-in with the second factor. The demo's accounts are enrolled in TOTP (issue 20), so a
#    user token comes from POST /api/v1/login (password) then POST /api/v1/login/mfa (a code
#    computed here from the account's secret, RFC 6238: SHA-1, 6 digits, 30-second steps). The
#    node refuses a code of a time step it already accepted (replay), so a renewal waits for the
#    next step. Operations documented with the camera_key scheme get the run's camera key instead.
#    The signed-out run sets no SL_USER and registers nothing.
import base64
import hashlib
import hmac
import json
import struct
import time
import urllib.error
import urllib.request

_USER = os.environ.get("SL_USER", "")
_PASSWORD = os.environ.get("SL_PASSWORD", "")
_SECRET = os.environ.get("SL_TOTP_SECRET", "")
_CAMERA_KEY = os.environ.get("SL_CAMERA_KEY", "")
_BASE = os.environ.get("SL_BASE_URL", "")


def _totp(secret: str, step: int) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def _post(path: str, body: dict) -> dict:
    req = urllib.request.Request(
        _BASE + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"sign-in step {path} answered {e.code}: {e.read()[:200]!r}") from None


def _uses_camera_key(case) -> bool:
    security = case.operation.definition.raw.get("security") or []
    return any("camera_key" in requirement for requirement in security)


def _valid(token: str) -> bool:
    req = urllib.request.Request(_BASE + "/api/v1/me", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status == 200
    except urllib.error.HTTPError:
        return False


if _USER:
    _last_step = [0]
    _token = [""]

    # One cached credential per scheme; a 401 (a fuzzed logout or revocation) fetches a new one.
    @schemathesis.auth(
        refresh_interval=3600,
        cache_by_key=lambda case, ctx: "camera" if _uses_camera_key(case) else "user",
    )
    class SecondFactorAuth:
        def get(self, case, ctx):
            if _uses_camera_key(case):
                return _CAMERA_KEY
            # A 401 also follows every request the fuzzer sent without or with broken
            # credentials; sign in again only when the token itself was ended (a fuzzed logout or
            # revocation): one TOTP sign-in per 30-second step is all the replay guard allows.
            if _token[0] and _valid(_token[0]):
                return _token[0]
            answer = _post("/api/v1/login", {"username": _USER, "password": _PASSWORD})
            if "token" in answer:
                return answer["token"]
            # The node accepts the code of the next step too (clock skew): a renewal in the step
            # just used takes that one instead of waiting for the clock.
            step = max(int(time.time() // 30), _last_step[0] + 1)
            while step > int(time.time() // 30) + 1:
                time.sleep(1)
            _last_step[0] = step
            answer = _post(
                "/api/v1/login/mfa",
                {"challenge": answer["challenge"], "code": _totp(_SECRET, step)},
            )
            _token[0] = answer["token"]
            return _token[0]

        def set(self, case, data, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"
