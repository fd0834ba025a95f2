"""Schemathesis hooks of scripts/contract (see that script for the design).

Keeps the run's own account usable: a generated call to /api/v1/users/{id}/... aimed at the
signed-in user's id (SL_USER_ID) is redirected to an id that does not exist, so a fuzzed
password reset, role change, disable or token revocation of oneself cannot lock the run out.
Every other generated value is sent as generated.
"""

import os

import schemathesis

OWN_ID = os.environ.get("SL_USER_ID", "")
MISSING_ID = 2_000_000_000


@schemathesis.hook
def before_call(context, case, kwargs):
    if not OWN_ID or not case.operation.path.startswith("/api/v1/users/{id}"):
        return
    params = case.path_parameters or {}
    if str(params.get("id")) == OWN_ID:
        params["id"] = MISSING_ID
