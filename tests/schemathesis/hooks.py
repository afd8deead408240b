"""Schemathesis hooks for scripts/schemathesis: who the run signs in as, and what it must not
destroy under itself.

A run calls every operation with generated data, and some of that data names the run's own
principal: ids picked up from earlier responses end its session, deactivate its user, archive or
suspend its tenant. A static token would then turn every later request into `401` and the rest
of the run into noise. So:

- Tenant operations sign in as the admin of a tenant this file provisions (through the operator
  API, as an operator would). When a request answers 401 (or 403, the tenant suspended), the
  cached credentials are dropped and schemathesis replays the request with a fresh tenant
  (`retry_on`); a 401/403 that a fresh tenant also gets is kept as the answer.
- Platform operations sign in as the bootstrap operator, and never name the tenants this file
  made nor the operator itself: such an id in a path is swapped for an unknown one.

Reads FLIGHTLINE_BASE, FLIGHTLINE_OPERATOR_EMAIL and FLIGHTLINE_OPERATOR_PASSWORD.
"""

import itertools
import re
import os
import threading
import uuid

import requests
import schemathesis

BASE = os.environ["FLIGHTLINE_BASE"]
OPERATOR_EMAIL = os.environ["FLIGHTLINE_OPERATOR_EMAIL"]
OPERATOR_PASSWORD = os.environ["FLIGHTLINE_OPERATOR_PASSWORD"]
ADMIN_PASSWORD = "schemathesis-admin-1"
PLATFORM = r"^/api/v1/platform/"

_lock = threading.RLock()
_serial = itertools.count(1)
_run = uuid.uuid4().hex[:6]
# Ids the run authenticates with; platform operations must not name them.
_protected: set[str] = set()
_operator = {"token": None}
# The tenant the run currently signs in to (a fresh one after each lock-out).
_current = {"slug": None}


def _json(response: requests.Response, what: str) -> dict:
    if response.status_code >= 300:
        raise RuntimeError(f"{what}: {response.status_code} {response.text[:300]}")
    return response.json()


def _operator_token(fresh: bool = False) -> str:
    with _lock:
        if fresh or _operator["token"] is None:
            body = _json(
                requests.post(
                    f"{BASE}/api/v1/platform/auth/login",
                    json={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD},
                    timeout=30,
                ),
                "operator login",
            )
            _operator["token"] = body["access_token"]
            me = _json(
                requests.get(
                    f"{BASE}/api/v1/platform/auth/me",
                    headers={"Authorization": f"Bearer {body['access_token']}"},
                    timeout=30,
                ),
                "operator me",
            )
            _protected.add(me["id"])
        return _operator["token"]


def _new_tenant() -> tuple[str, str]:
    """Provisions a flight school through the operator API, signs its admin in and switches
    every module on."""
    slug = f"st-{_run}-{next(_serial)}"
    email = f"admin@{slug}.example.com"
    for attempt in range(2):
        response = requests.post(
            f"{BASE}/api/v1/platform/tenants",
            headers={"Authorization": f"Bearer {_operator_token(fresh=attempt > 0)}"},
            json={
                "organization_name": f"Schemathesis {slug}",
                "slug": slug,
                "kind": "flight_school",
                "admin_email": email,
                "admin_password": ADMIN_PASSWORD,
                "admin_name": "Schemathesis Admin",
                "plan": "trial",
            },
            timeout=60,
        )
        if response.status_code != 401:
            break
    tenant = _json(response, "provision a tenant")
    _protected.add(tenant["id"])
    _current["slug"] = slug
    login = _json(
        requests.post(
            f"{BASE}/api/v1/auth/login",
            headers={"X-Tenant-ID": slug},
            json={"email": email, "password": ADMIN_PASSWORD},
            timeout=30,
        ),
        "tenant admin login",
    )
    token = login["access_token"]
    # A flight school has the charter and FBO modules off by default: switch every module on
    # so their operations answer rather than `404 feature-disabled`.
    headers = {"X-Tenant-ID": slug, "Authorization": f"Bearer {token}"}
    flags = requests.get(
        f"{BASE}/api/v1/settings/feature-flags?limit=200", headers=headers, timeout=30
    )
    for flag in flags.json().get("items", []) if flags.ok else []:
        if not flag.get("enabled", True):
            requests.put(
                f"{BASE}/api/v1/settings/feature-flags/{flag['key']}",
                headers=headers,
                json={"enabled": True},
                timeout=30,
            )
    return slug, token


@schemathesis.auth(refresh_interval=3600, retry_on=[401, 403]).skip_for(path_regex=PLATFORM)
class TenantAdmin:
    def get(self, case, context):
        return _new_tenant()

    def set(self, case, data, context):
        slug, token = data
        case.headers = case.headers or {}
        if not _probes_missing(case, "X-Tenant-ID"):
            case.headers["X-Tenant-ID"] = slug
        if not _probes_missing(case, "Authorization"):
            case.headers["Authorization"] = f"Bearer {token}"


def _probes_missing(case, header: str) -> bool:
    """Whether the coverage phase sends this case without `header` on purpose."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    return (
        getattr(data, "parameter", None) == header
        and "MISSING" in str(getattr(data, "scenario", "")).upper()
    )


@schemathesis.auth(refresh_interval=3600, retry_on=[401]).apply_to(path_regex=PLATFORM)
class Operator:
    def get(self, case, context):
        return _operator_token(fresh=True)

    def set(self, case, data, context):
        case.headers = case.headers or {}
        if not _probes_missing(case, "Authorization"):
            case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context, case, **kwargs):
    """Every tenant operation names the run's tenant, also when it is sent without credentials
    (the coverage phase's missing-`Authorization` probes must meet a tenant that exists, or the
    answer is `404 tenant-not-found` before authentication is asked for)."""
    if case.operation.path.startswith("/api/v1/platform/") or _probes_missing(case, "X-Tenant-ID"):
        return
    if _current["slug"] is None:
        with _lock:
            if _current["slug"] is None:
                _new_tenant()
    if case.headers is None:
        case.headers = {}
    if "X-Tenant-ID" in case.headers or "Authorization" not in case.headers:
        case.headers["X-Tenant-ID"] = _current["slug"]


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    """A platform operation never names a tenant the run signs in to, nor its operator."""
    if path_parameters and context.operation.path.startswith("/api/v1/platform/"):
        for name, value in list(path_parameters.items()):
            if str(value) in _protected:
                path_parameters[name] = str(uuid.uuid4())
    return path_parameters


# --- Schema-valid requests are accepted -----------------------------------------------------
#
# Schemathesis's own `positive_data_acceptance` is switched off in schemathesis.toml and
# replaced by this check, which is the same check made precise: a request the document calls
# valid must not be refused, except with `422` naming, field by field, one of the rules below.
# Each is a rule that JSON Schema cannot state, with its reason. Any other refusal (another
# status, another message, or one of these mixed with an undeclared constraint) is a finding.
BUSINESS_RULES = [
    # An opaque cursor: only a `next_cursor` the API handed out can be decoded.
    (r"is not a cursor from this API", "opaque cursor"),
    # A reference to a row: whether an id names something of this tenant is data, not shape.
    (r"names no [a-z ]+ of this [a-z ]+", "reference to a row that does not exist"),
    (r"names an? [a-z ]+ that does not exist", "reference to a row that does not exist"),
    (r"no [a-z_ ]+ with this id", "reference to a row that does not exist"),
    (r"every [a-z ]+ must be an? [a-z ]+ of this organisation", "reference to a row that does not exist"),
    # Meters only go up: a reading below the current one needs `correction: true`.
    (r"is below the current [A-Za-z ]+ \(send correction: true with a reason\)", "meters only go up"),
    # Cross-field rules: an order between two fields, one of several, both or neither.
    (r"must be after [a-z_]+", "ordering between two fields"),
    (r"must be before [a-z_]+", "ordering between two fields"),
    (r"exactly one of [a-z_, ]+", "exactly one of several fields"),
    (r"give [a-z_]+ and [a-z_]+ together.*", "both fields or neither"),
    (r"is required (for|without|with) .+", "required when another field has (or lacks) a value"),
    (r"an? [a-z ]+ holds no [a-z ]+", "forbidden when another field has a given value"),
    (r"applies to [a-z ]+ [A-Z] only", "allowed only when another field has a given value"),
    (r"an? [a-z ]+ needs (an? )?[a-z_, ]+", "required when another field has a given value"),
    (r"an? [a-z ]+ lasts at most .+", "a span between two fields"),
    # One entry per weekday: JSON Schema's uniqueItems compares whole items, not one property.
    (r"appears more than once", "unique by one property of the items"),
    # A free-form JSON value is kept as jsonb; PostgreSQL prints numbers back exactly, and
    # beyond ±1e300 that text no longer reads as an f64 (kernel::units::json_numbers_fit).
    (r"holds a number beyond ±1e300", "jsonb numbers must read back as f64"),
    (r"is only valid with .+", "allowed only when another field has a given value"),
    (r"is only for [a-z -]+; .+", "allowed only when another field has a given value"),
    (r"an? [a-z ]+ may span at most .+", "a span between two fields"),
    # A logbook time or count bounded by another (PIC by the total time, full-stop landings by
    # landings), meters in not below meters out, a crew of distinct roles, nobody their own
    # instructor (flights).
    (r"must not exceed .+", "a bound set by other fields"),
    (r"must not be below [a-z_]+", "ordering between two fields"),
    (r"must be someone other than .+", "two fields naming different people"),
    (r"has at most one [a-z_, ]+", "at most one item with a given property"),
    # Names kept for the service (`www`, `api`, ...): a list, not a shape.
    (r"is reserved", "reserved slugs"),
    # Relative to the clock when the request arrives.
    (r"must be in the future", "relative to the current time"),
    (r"must not be in the future", "relative to the current time"),
    (r"must (be|not be) before [a-z_]+", "ordering between two fields"),
    # Finance: a price's sign follows its category (only a discount is negative), and money
    # moves in the currency of the account it names (docs/finance.md).
    (r"must be negative for a discount and not negative otherwise", "sign set by another field"),
    (r"must be the account's currency, [A-Z]{3}", "must match the currency of the row named"),
    # An Idempotency-Key replays its first request; another body with it is refused (API.md §1).
    (r"was used before with another body", "an idempotency key names its first body"),
    # Theory: a question's key takes the shape its kind asks for (options and one or more right
    # ones for choice questions, a boolean or a number with its tolerance otherwise).
    (r"an? [a-z-]+ question has .+", "the key's shape follows the question's kind"),
    (r"only for choice questions", "allowed only when another field has a given value"),
    (r"each is the 0-based index of an option", "an index into another field"),
    (r"an option is 1 to 1000 characters, not blank", "no blank option (whitespace only)"),
    # Training: a syllabus version is one document; its lessons' codes are unique and a
    # prerequisite names a lesson that comes earlier in it. A lesson's grades name its own
    # items once each, on the syllabus's scale; a completed lesson grades every item, none
    # below the standard.
    (r"names no lesson that comes earlier in this version", "a reference within the document, in order"),
    (r"is used by another lesson of this version", "unique by one property across nested items"),
    (r"names no lesson of the enrollment's version", "reference to a row that does not exist"),
    (r"is not an item of this lesson", "reference to a row that does not exist"),
    (r"is graded twice", "unique by one property of the items"),
    (r"is not a grade of this syllabus's scale .+", "allowed values set by the row named"),
    (r"a completed lesson grades every item of the lesson", "required when another field has a given value"),
    (r"an item is below the standard: the lesson is incomplete", "a bound set by other fields"),
    (r"the syllabus has no such version", "reference to a row that does not exist"),
    # Skills: an assessment's evidence names its record by the kind it is; a level within the
    # skill's levels; a rule's parameters follow its kind (docs/skills.md).
    (r"says what was observed \(required with observation\)", "required when another field has a given value"),
    (r"only with [a-z_]+", "allowed only when another field has a given value"),
    (r"names a lesson of a syllabus: only with syllabus_id", "allowed only when another field has a given value"),
    (r"is above the skill's highest level \(\d+\)", "a bound set by the row named"),
    (r"names no lesson of any version of the syllabus", "reference to a row that does not exist"),
    (r"names nothing of this organisation", "reference to a row that does not exist"),
    (r"at most one of [a-z_, ]+", "at most one of several fields"),
    (r"does not apply to this kind of rule", "allowed only when another field has a given value"),
    # Self-registration (docs/identity.md): a tenant may limit it to its e-mail domains, a
    # setting no schema can state; and a name is trimmed, so whitespace alone is no name.
    (r"must be an address in one of this organisation's domains", "allowed values set by a tenant setting"),
    (r"must not be blank", "not whitespace only (names are trimmed)"),
    # Airports: a code names an airport or site of the data; a time zone is one the server's
    # time zone database knows (docs/airports.md).
    (r"names no airport or landing site", "reference to a row that does not exist"),
    # Weather for several places: each code of the list names an airport or site.
    (r"names no airport or landing site: [A-Z0-9-]+", "reference to a row that does not exist"),
    (r"is not a time zone known to this server .+", "a name from the server's time zone database"),
    # Contacts: only a person belongs to an organisation (docs/contacts.md); a history entry
    # happens now or in the past (a day's slack for clocks).
    (r"only a person belongs to an organisation, and not to themselves", "allowed only when another field has a given value"),
    (r"is more than a day ahead", "relative to the current time"),
    # Charter quotes (docs/charter.md): airports and aircraft are data; legs follow each other in
    # time; a quote keeps its customer.
    (r"the aircraft and its type have no cruise speed", "a fact of the row named"),
    (r"the aircraft's home base names no airport", "reference to a row that does not exist"),
    (r"must be another airport than from", "two fields naming different places"),
    (r"is more than the \d+ seats of .+", "a bound set by the row named"),
    (r"must not be before the aircraft arrives from the leg before \(.+\)", "ordering between items"),
    (r"a quote's customer stays: make a new quote for another customer", "must match the row named"),
    # Charter trips: a leg's ETA follows its ETD within a day, legs follow each other, an
    # aircraft without a cruise speed needs the ETA given; a new trip is scheduled or quoted.
    (r"is needed: the aircraft and its type have no cruise speed", "a fact of the row named"),
    (r"must be within 24 hours of departs_at", "a span between two fields"),
    (r"must not be before the aircraft arrives from its leg before", "ordering between items"),
    (r"legs are in departure order", "ordering between items"),
    (r"a new trip is `scheduled` or `quoted`", "a subset of an enum allowed on creation"),
    # Charter crew: an assignment's role needs the crew member's role, legs of the trip, a
    # crew member once per leg, an active one.
    (r"needs a crew member with the role [a-z_ ]+", "allowed values set by the row named"),
    (r"names a leg the trip does not have", "reference to a row that does not exist"),
    (r"puts a crew member on a leg twice", "unique by one property across nested items"),
    (r"is an inactive crew member", "a fact of the row named"),
    # Passengers: an international leg needs the travel document, valid on the leg's day.
    (r"is required for international leg \d+ \(.+\)", "required when another field has a given value"),
    (r"must not be before international leg \d+ on \d{4}-\d{2}-\d{2}", "ordering between two fields"),
    (r"the trip has no leg with passengers: name the legs", "required when the row named says so"),
    # A quote's accept form: a name, trimmed, so whitespace alone is no name.
    (r"must be 1 to 200 characters without control characters", "not whitespace only (names are trimmed)"),
    # The fuel farm: a tank holds what its capacity and its contents allow, of one product.
    (r"is more than the tank's (free )?capacity \(.+\)", "a fact of the row named"),
    (r"is more than the tank holds \(.+\)", "a fact of the row named"),
    (r"is more than .+'s free capacity", "a fact of the row named"),
    (r"must not be less than the tank holds \(.+\)", "a fact of the row named"),
    (r"holds [a-z0-9_]+, not [a-z0-9_]+", "a fact of the row named"),
    (r"must be another tank than this one", "distinct from the path's id"),
    (r"must not be more than capacity", "ordering between two fields"),
    # Fuel dispatch: a quantity or a top-off; the fueler is line staff, the truck one of the
    # order's product at its airport and in service; meters count up and agree with the
    # quantity (docs/fbo.md).
    (r"is required unless [a-z_]+ is true", "required when another field lacks a value"),
    (r"must be left out for a top-off", "forbidden when another field has a given value"),
    (r"names no active user whose roles grant [a-z_.]+", "reference to a row that does not exist"),
    (r"is at [A-Z0-9-]+, not at the flight's airport [A-Z0-9-]+", "must match the row named"),
    (r"holds [a-z0-9_]+, not the order's [a-z0-9_]+", "must match the row named"),
    (r"is out of service", "a fact of the row named"),
    (r"must not be less than [a-z_]+", "ordering between two fields"),
    (r"differs from the meter \(.+\)", "agreement between two fields"),
    (r"must be at least 0\.1 more than [a-z_]+", "ordering between two fields"),
    (r"is required on completion without [a-z_]+ and [a-z_]+", "required when another field lacks a value"),
    (r"is required to complete an order without an assigned truck", "required when the row named says so"),
    # Ground equipment and the line schedule: a task's spot is one of its flight's airport, its
    # equipment suits it and is due for nothing; an hour meter only goes up.
    (r"names no active parking location of the flight's airport", "reference to a row that does not exist"),
    (r"is an? [a-z_]+, and an? [a-z_]+ task needs an? [a-z_]+", "must match the row named"),
    (r"is due for maintenance", "a fact of the row named"),
    (r"must not be below the current reading \(.+\)", "meters only go up"),
    # PostgreSQL text cannot hold U+0000; a pattern on every string of the document would say
    # it at the cost of a regular expression per field for every client.
    (r"must not contain a NUL character", "no U+0000 in text (PostgreSQL)"),
]
_RULES = [re.compile(rf"^(?:{pattern})$") for pattern, _ in BUSINESS_RULES]

# Whole operations whose schema-valid requests are refused by design.
REFUSED_BY_DESIGN = {
    # One-time tokens are secrets the server issued: a made-up one is `400 token-invalid`.
    "POST /api/v1/auth/password-reset/confirm": {400},
    "POST /api/v1/auth/verify-email": {400},
    # Wrong credentials are `400`/`422` on a login, as on any credential-granting operation.
    # ... and a login the fuzzer repeats with a known address ends in `423 account-locked`.
    "POST /api/v1/auth/login": {400, 422, 423},
    "POST /api/v1/platform/auth/login": {400, 422, 423},
    "POST /api/v1/auth/refresh": {400, 422},
    # An upload's kind is read from the file's own bytes (PDF, PNG, ...), which no schema states:
    # generated bytes of no accepted kind are `415 unsupported-media-type`.
    "POST /api/v1/tools/attachments": {415},
    # A logbook CSV's rows are data the schema cannot state (`binary`): a generated body is
    # `422` with the errors of its rows, and one past the limit `413`.
    "POST /api/v1/flights/logbook/import": {413, 422},
    # A logo must decode as the image type it is sent as, which no schema states (`binary`):
    # generated bytes are `422` naming `body`, and more than 512 KiB `413`.
    "PUT /api/v1/settings/branding/logo": {413, 422},
}

ACCEPTED = set(range(200, 400)) | {401, 403, 404, 409, 429}


@schemathesis.check
def schema_valid_requests_are_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    # The stateful phase fills parameters from earlier responses (a `null` id becomes the text
    # "null" in a form): its requests are not drawn from the schema, so not promised valid.
    if "stateful" in str(getattr(meta.phase, "name", "")).lower():
        return None
    if _is_request_shape_probe(case):
        return None
    status = response.status_code
    if status in ACCEPTED or status in REFUSED_BY_DESIGN.get(case.operation.label, ()):
        return None
    if status == 422:
        try:
            errors = response.json().get("errors") or []
        except ValueError:
            errors = []
        unexplained = [
            e for e in errors if not any(r.match(str(e.get("message", ""))) for r in _RULES)
        ]
        if errors and not unexplained:
            return None
        raise AssertionError(
            f"[{meta.phase.name}] A schema-valid request was refused over a constraint the "
            f"document does not declare: {unexplained or response.text[:300]}"
        )
    raise AssertionError(f"A schema-valid request was refused with {status}: {response.text[:300]}")


def _is_request_shape_probe(case) -> bool:
    try:
        from schemathesis.specs.openapi.checks import is_unexpected_http_status_case
    except ImportError:  # pragma: no cover - the pinned version has it
        return False
    return is_unexpected_http_status_case(case)
