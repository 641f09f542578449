"""Schemathesis hooks for the command API (loaded through SCHEMATHESIS_HOOKS by schemathesis.sh).

Adds one check, `error_envelope_on_4xx`: every 4xx answer, documented or not (a framework
refusal such as 400, 405, 413 or 415 included), must be JSON in the one error envelope,
`{"error": {"code": "<snake_case>", "message": "<non-empty>", "details"?: {...}}}`. The
documented ones are also checked against the schema by `response_schema_conformance`; this check
covers the answers the document does not list and says precisely what is wrong.
"""

import re

import schemathesis

CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@schemathesis.check
def error_envelope_on_4xx(ctx, response, case):
    """A 4xx answer must carry the error envelope with a snake_case code and a message."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith("application/json"):
        raise AssertionError(
            f"{response.status_code} answered with content type {content_type!r}, not JSON"
        )
    try:
        body = response.json()
    except ValueError as error:
        raise AssertionError(f"{response.status_code} body is not JSON: {error}") from error
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise AssertionError(f"{response.status_code} body has no `error` object: {body!r}")
    code, message = error.get("code"), error.get("message")
    if not isinstance(code, str) or not CODE.match(code):
        raise AssertionError(f"{response.status_code} error code {code!r} is not snake_case")
    if not isinstance(message, str) or not message.strip():
        raise AssertionError(f"{response.status_code} error `{code}` has an empty message")
    unexpected = set(error) - {"code", "message", "details"}
    if unexpected:
        raise AssertionError(f"{response.status_code} error has unexpected keys {unexpected}")
    return None
