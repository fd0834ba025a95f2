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
