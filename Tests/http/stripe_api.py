"""A Stripe-compatible API on 127.0.0.1 for the stripe plugin's tests.

`localstripe` (PyPI) keeps the state of customers, plans (= prices), subscriptions, payment methods and
invoices; a thin test-only layer in the same aiohttp application adds what it lacks or answers in an
older shape:

  GET  /v1/customers/search            Stripe's search query language (a subset: field:"v", field~"v",
                                       metadata["k"]:"v", -negation, AND / OR; single or double quotes)
  POST /v1/prices, GET /v1/prices[/{id}]   prices, stored as localstripe plans of the same id
  POST /v1/checkout/sessions, GET /v1/checkout/sessions[/{id}]
  POST /v1/billing_portal/sessions     records `flow_data`
  GET/POST/DELETE /v1/subscriptions/{id}, GET /v1/subscriptions
                                       answers as API 2025-03-31+: items carry `price`, `current_period_start`
                                       and `current_period_end` (or, with `period_fields="subscription"`, the
                                       periods stay on the subscription, as before); updates take
                                       `items[n][id|price|quantity|deleted]`, `cancel_at_period_end`,
                                       `cancel_at` ("" clears), `proration_behavior`, `metadata`
  GET  /checkout/{id}, /portal/{id}    stand-ins for Stripe's hosted pages (the `url`s answered)

Every request must carry `Authorization: Bearer <secret_key>` (401 otherwise); 404s carry
`code: resource_missing`. Every request is recorded (`api.calls`), and `api.outage()` makes the API
answer 5xx. The tests drive what happens at Stripe with the helpers (`complete_checkout`,
`complete_portal`, `update_subscription`, `cancel_now`, ...) and deliver what Stripe would send with
`event()` + `deliver()`, signed by the official `stripe` library.

localstripe keeps its state in a module-global store: one StripeAPI runs per process at a time.
"""
from __future__ import annotations

import asyncio
import json
import re
import secrets
import socket
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests
import stripe
from aiohttp import web

import localstripe.resources as ls
import localstripe.server as ls_server
from localstripe.errors import UserError

# localstripe pickles its store to /tmp/localstripe.pickle on every write and schedules its own webhook
# deliveries on the running loop: neither is wanted here (the tests deliver the events themselves).
ls.store.dump_to_disk = lambda: None
ls.schedule_webhook = lambda event: None

# The recorded Call of the request being answered (a typed request key where aiohttp has them).
_CALL = web.RequestKey("recorded_call", object) if hasattr(web, "RequestKey") else "recorded_call"

SECRET_KEY = "sk_test_gatehouse_0123456789"
WEBHOOK_SECRET = "whsec_gatehouse_test_0123456789abcdef"
API_VERSION = "2025-03-31.basil"
DAY = 86400


def _rid(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _error(status: int, message: str, type_: str = "invalid_request_error", **extra) -> web.Response:
    body = {"error": {"type": type_, "message": message, **extra}}
    return web.json_response(body, status=status, dumps=lambda x: json.dumps(x, indent=2, sort_keys=True))


def _json(obj, status: int = 200) -> web.Response:
    return web.json_response(obj, status=status, dumps=lambda x: json.dumps(x, indent=2, sort_keys=True))


def _flag(value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1"):
        return True
    if str(value).lower() in ("false", "0"):
        return False
    raise UserError(400, f"Invalid boolean: {value!r}", {"code": "parameter_invalid_boolean"})


# ---------------------------------------------------------------------------------------------
# webhook events and deliveries

def event(type: str, obj: dict, *, id: str | None = None, created: int | None = None,
          previous_attributes: dict | None = None, api_version: str = API_VERSION) -> dict:
    """A Stripe event (`object: "event"`) of `type` about `obj` (a dict as the API answers it)."""
    data = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {"id": id or _rid("evt_"), "object": "event", "api_version": api_version,
            "created": int(created if created is not None else time.time()), "data": data, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": type}


def payload_of(evt: dict | str | bytes) -> str:
    """The body Stripe sends for `evt`: its JSON, pretty-printed as Stripe does (a str or bytes is kept)."""
    if isinstance(evt, bytes):
        return evt.decode("utf-8")
    if isinstance(evt, str):
        return evt
    return json.dumps(evt, indent=2)


def signature_header(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """`Stripe-Signature: t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`, by the stripe library."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def deliver(url: str, evt: dict | str | bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None,
            signature: str | None = None, headers: dict | None = None, timeout: float = 30) -> requests.Response:
    """POSTs `evt` (an event dict, or a raw body) to the webhook endpoint at `url` as Stripe does:
    `Content-Type: application/json; charset=utf-8` and a `Stripe-Signature` made with `secret` at
    `timestamp` (now by default). `signature` replaces the header's value (None in `headers` drops it).
    A delivery signed with WEBHOOK_SECRET at a fresh timestamp is first checked with the stripe library's
    own verifier (`stripe.WebhookSignature.verify_header`, what `stripe.Webhook.construct_event` runs), so
    a refusal is the server's judgement."""
    body = payload_of(evt)
    if signature is None:
        signature = signature_header(body, secret, timestamp)
        if secret == WEBHOOK_SECRET and (timestamp is None or timestamp > time.time() - 250):
            stripe.WebhookSignature.verify_header(body, signature, WEBHOOK_SECRET, tolerance=300)
    h = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
         "Stripe-Signature": signature}
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    with requests.Session() as session:
        session.trust_env = False      # loopback: never through a proxy from the environment
        return session.post(url, data=body.encode("utf-8"), headers=h, allow_redirects=False, timeout=timeout)


# ---------------------------------------------------------------------------------------------
# the record of requests

@dataclass
class Call:
    method: str
    path: str
    query: dict            # the query string, flat ({"email": "..."}; the last value of a repeated key)
    form: dict             # the form-encoded body, flat as sent ({"metadata[userId]": "..."})
    data: dict             # query and body together, nested as Stripe reads them ({"metadata": {"userId": ...}})
    authorization: str | None
    headers: dict
    status: int = 0
    failed: bool = field(default=False)   # answered by an outage

    def __repr__(self):
        return f"<Call {self.method} {self.path} {self.status} {self.form or self.query}>"


# ---------------------------------------------------------------------------------------------
# the search query language (https://docs.stripe.com/search#search-query-language), for customers

_TOKEN = re.compile(r"""\s*(?:(?P<op>AND|OR)\b|(?P<clause>(?P<neg>-)?(?P<field>metadata\[(?P<mq>["'])(?P<mkey>(?:\\.|(?!(?P=mq)).)*)(?P=mq)\]|[a-z_]+)"""
                    r"""(?P<cmp>:|~)(?:(?P<q>["'])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)|(?P<null>null))))""", re.S)


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def parse_search(query: str):
    """[(negated, field, metadata key or None, comparator, value or None)], combinator ('AND'/'OR')."""
    clauses, ops, pos = [], set(), 0
    query = query.strip()
    expect_clause = True
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m or (m.group("op") is not None) == expect_clause:
            raise UserError(400, f"Invalid search query: {query!r} (at {pos})", {"code": "parameter_invalid_string",
                                                                                "param": "query"})
        if m.group("op"):
            ops.add(m.group("op"))
        else:
            field_name = "metadata" if m.group("mkey") is not None else m.group("field")
            key = _unescape(m.group("mkey")) if m.group("mkey") is not None else None
            value = None if m.group("null") else _unescape(m.group("value"))
            clauses.append((bool(m.group("neg")), field_name, key, m.group("cmp"), value))
        expect_clause = not expect_clause
        pos = m.end()
    if not clauses or expect_clause:
        raise UserError(400, f"Invalid search query: {query!r}", {"code": "parameter_invalid_string", "param": "query"})
    if len(ops) > 1:
        raise UserError(400, "A search query cannot mix AND and OR", {"code": "parameter_invalid_string", "param": "query"})
    return clauses, (ops.pop() if ops else "AND")


def _customer_matches(cus, clauses, combinator) -> bool:
    results = []
    for negated, field_name, key, cmp, value in clauses:
        if field_name == "metadata":
            actual = (cus.metadata or {}).get(key)
        elif field_name in ("email", "name", "phone", "description", "id"):
            actual = getattr(cus, field_name, None)
        else:
            raise UserError(400, f"Field {field_name!r} is not searchable on customers",
                            {"code": "parameter_invalid_string", "param": "query"})
        if value is None:
            hit = actual in (None, "")
        elif actual is None:
            hit = False
        elif cmp == "~":
            hit = value.lower() in str(actual).lower()
        elif field_name == "email":
            hit = str(actual).lower() == value.lower()
        else:
            hit = str(actual) == value
        results.append(hit != negated)
    return all(results) if combinator == "AND" else any(results)


# ---------------------------------------------------------------------------------------------
# the server

class StripeAPI:
    """localstripe plus the test-only layer, served on 127.0.0.1 from a thread of its own."""

    _running: "StripeAPI | None" = None

    def __init__(self, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.calls: list[Call] = []
        self.checkout_sessions: dict[str, dict] = {}   # id -> session (with "_line_items", "_subscription_data")
        self.portal_sessions: dict[str, dict] = {}     # id -> billing portal session, as answered
        self.period_fields = "items"     # "items" (API 2025-03-31+) or "subscription" (older: on the subscription)
        self.search_available = True     # False: /v1/customers/search answers 400, as in regions without search
        self._outage: tuple[int, re.Pattern | None] | None = None
        self._prices: dict[str, dict] = {}   # price id -> fields localstripe's plans lack (lookup_key, ...)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.base_url = ""

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "StripeAPI":
        assert StripeAPI._running is None, "one StripeAPI per process at a time (localstripe's store is global)"
        ls.store.clear()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve():
            self._runner = web.AppRunner(self._app(), access_log=None)
            await self._runner.setup()
            await web.SockSite(self._runner, sock).start()

        def run():
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(serve())
            except BaseException as e:  # noqa: BLE001
                failure.append(e)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="stripe-api", daemon=True)
        self._thread.start()
        ready.wait(15)
        if failure:
            raise failure[0]
        StripeAPI._running = self
        return self

    def stop(self):
        if self._loop is None:
            return
        async def shutdown():
            await self._runner.cleanup()
        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(15)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)
        self._loop.close()
        self._loop = None
        ls.store.clear()
        if StripeAPI._running is self:
            StripeAPI._running = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self, fn, *args, **kwargs):
        """Runs `fn` on the server's loop (localstripe is not thread-safe) and returns its result."""
        async def call():
            return fn(*args, **kwargs)
        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(15)

    # -- the record and the switches --------------------------------------------------------
    def requests_to(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """Recorded calls, optionally of `method` and whose path matches the regex `path` (fully)."""
        with self._lock:
            calls = list(self.calls)
        return [c for c in calls if (method is None or c.method == method.upper())
                and (path is None or re.fullmatch(path, c.path))]

    def mark(self) -> int:
        """The number of calls so far: `api.since(mark)` lists the calls made after it."""
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        with self._lock:
            return list(self.calls[mark:])

    @contextmanager
    def outage(self, status: int = 500, path: str | None = None):
        """While inside, every /v1 request (or those whose "METHOD /path" matches the regex `path`)
        answers `status` with a Stripe `api_error`."""
        self._outage = (status, re.compile(path) if path else None)
        try:
            yield self
        finally:
            self._outage = None

    # -- objects, read and written by the tests ---------------------------------------------
    def add_price(self, id: str, *, interval: str = "month", amount: int = 1000, currency: str = "usd",
                  product: str | None = None, lookup_key: str | None = None, usage_type: str = "licensed",
                  nickname: str | None = None) -> dict:
        """A recurring price `id` (kept: adding an existing id returns it)."""
        def add():
            if ("plan:" + id) not in ls.store:
                prod = product or ls.Product(name=nickname or id, type="service").id
                ls.Plan(id=id, amount=amount, currency=currency, interval=interval, product=prod,
                        nickname=nickname, usage_type=usage_type)
                self._prices[id] = {"lookup_key": lookup_key}
            return self._price(id)
        return self._run(add)

    def create_customer(self, **fields) -> dict:
        """A customer made at Stripe by someone else (the dashboard, another app): email, name, metadata..."""
        return self._run(lambda: ls.Customer(**fields)._export())

    def customer(self, id: str) -> dict:
        return self._run(lambda: ls.Customer._api_retrieve(id)._export())

    def customers(self, email: str | None = None) -> list[dict]:
        def find():
            return [c._export() for k, c in list(ls.store.items())
                    if k.startswith("customer:") and (email is None or (c.email or "").lower() == email.lower())]
        return self._run(find)

    def subscription(self, id: str) -> dict:
        """The subscription as GET /v1/subscriptions/{id} answers it."""
        return self._run(self._sub_export, id)

    def subscriptions(self, customer: str | None = None) -> list[dict]:
        """Every subscription (canceled ones too), of `customer` if given, oldest first."""
        def find():
            subs = [s for k, s in list(ls.store.items()) if k.startswith("subscription:")
                    and (customer is None or s.customer == customer)]
            return [self._sub_export(s.id) for s in sorted(subs, key=lambda s: s.created)]
        return self._run(find)

    def checkout_session(self, id: str) -> dict:
        return self._public(self.checkout_sessions[id])

    def find_checkout_session(self, url: str) -> dict:
        """The checkout session whose hosted page is `url` (what the upgrade route answers)."""
        found = [s for s in list(self.checkout_sessions.values()) if s["url"] == url]
        assert found, f"no checkout session at {url}"
        return self._public(found[0])

    def find_portal_session(self, url: str) -> dict:
        """The billing portal session whose page is `url`."""
        found = [s for s in list(self.portal_sessions.values()) if s["url"] == url]
        assert found, f"no billing portal session at {url}"
        return found[0]

    def last_checkout_session(self) -> dict:
        assert self.checkout_sessions, "no checkout session was created"
        return self._public(list(self.checkout_sessions.values())[-1])

    def last_portal_session(self) -> dict:
        assert self.portal_sessions, "no billing portal session was created"
        return list(self.portal_sessions.values())[-1]

    def success_url(self, session_id: str) -> str:
        """Where Stripe sends the browser after a paid checkout: success_url with {CHECKOUT_SESSION_ID} filled."""
        return self.checkout_sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)

    def complete_checkout(self, session_id: str, *, payment_method: str = "pm_card_visa") -> dict:
        """The customer pays: the session's customer (made from customer_email if none) gets a subscription
        of the session's line items (with a trial of `subscription_data[trial_period_days]`, metadata from
        `subscription_data[metadata]`); the session becomes complete and paid. Returns the
        `checkout.session.completed` event."""
        return self._run(self._complete_checkout, session_id, payment_method)

    def create_subscription(self, customer: str, price: str, *, quantity: int = 1, trial_days: int | None = None,
                            metadata: dict | None = None) -> dict:
        """A subscription made outside checkout (the dashboard): paid with a test card, or trialing."""
        return self._run(self._create_subscription, customer, [{"price": price, "quantity": quantity}],
                         trial_days, metadata or {}, "pm_card_visa")

    def update_subscription(self, id: str, **changes) -> dict:
        """Changes a subscription as Stripe would (after a portal flow, a renewal, a failed payment...):
        status, cancel_at_period_end, cancel_at, canceled_at, ended_at, trial_start, trial_end, metadata,
        price= / quantity= (of the first item), current_period_start= / current_period_end= (all items).
        Returns the subscription as the API answers it."""
        def update():
            sub = ls.Subscription._api_retrieve(id)
            item = sub.items._list[0]
            for key, value in changes.items():
                if key == "price":
                    item.plan = ls.Plan._api_retrieve(value)
                elif key == "quantity":
                    item.quantity = sub.quantity = int(value)
                elif key in ("current_period_start", "current_period_end"):
                    periods = dict(getattr(sub, "_gh_period", None) or {})
                    periods[key] = int(value)
                    sub._gh_period = periods
                elif key == "metadata":
                    sub.metadata = {**(sub.metadata or {}), **value}
                elif key in ("status", "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at",
                             "trial_start", "trial_end"):
                    setattr(sub, key, value)
                else:
                    raise KeyError(f"update_subscription: unknown change {key!r}")
            return self._sub_export(id)
        return self._run(update)

    def cancel_now(self, id: str) -> dict:
        """The subscription ends now (status canceled, ended_at and canceled_at now), as on
        DELETE /v1/subscriptions/{id}. Returns it as the API answers it."""
        return self._run(self._cancel_now, id)

    def complete_portal(self, session_id: str) -> dict:
        """The customer confirms the portal session's flow: `subscription_update_confirm` applies its
        items (price, quantity) to the subscription; `subscription_cancel` sets cancel_at_period_end (and
        canceled_at). Returns the subscription as the API answers it afterwards."""
        def complete():
            flow = self.portal_sessions[session_id].get("flow") or {}
            kind = flow.get("type")
            if kind == "subscription_update_confirm":
                spec = flow["subscription_update_confirm"]
                sub = ls.Subscription._api_retrieve(spec["subscription"])
                self._apply_items(sub, spec.get("items") or [])
                return self._sub_export(sub.id)
            if kind == "subscription_cancel":
                sub = ls.Subscription._api_retrieve(flow["subscription_cancel"]["subscription"])
                sub.cancel_at_period_end = True
                sub.canceled_at = int(time.time())
                return self._sub_export(sub.id)
            raise AssertionError(f"portal session {session_id} has no flow to complete: {flow!r}")
        return self._run(complete)

    # -- exports ----------------------------------------------------------------------------
    def _price(self, id: str) -> dict:
        plan = ls.Plan._api_retrieve(id)
        extra = self._prices.get(id, {})
        return {"id": plan.id, "object": "price", "active": plan.active, "billing_scheme": plan.billing_scheme,
                "created": plan.created, "currency": plan.currency, "livemode": False,
                "lookup_key": extra.get("lookup_key"), "metadata": dict(plan.metadata or {}),
                "nickname": plan.nickname, "product": plan.product,
                "recurring": {"interval": plan.interval, "interval_count": plan.interval_count,
                              "meter": None, "trial_period_days": None, "usage_type": plan.usage_type},
                "tax_behavior": "unspecified", "tiers_mode": plan.tiers_mode, "transform_quantity": None,
                "type": "recurring", "unit_amount": plan.amount, "unit_amount_decimal": str(plan.amount)}

    def _periods(self, sub) -> tuple[int, int]:
        override = getattr(sub, "_gh_period", None) or {}
        if sub.status == "trialing" and sub.trial_start and sub.trial_end:
            start, end = sub.trial_start, sub.trial_end
        else:
            period = sub.items._list[0]._current_period()
            start, end = period["start"], period["end"]
        return override.get("current_period_start", start), override.get("current_period_end", end)

    def _sub_export(self, id: str) -> dict:
        sub = ls.Subscription._api_retrieve(id)
        out = sub._export()
        return self._enrich_subscription(out, sub)

    def _enrich_subscription(self, out: dict, sub) -> dict:
        start, end = self._periods(sub)
        items = out.get("items") or {}
        live = {i.id: i for i in sub.items._list}
        for item in items.get("data", []):
            li = live.get(item.get("id"))
            if li is None:
                continue
            item["object"] = "subscription_item"
            item["subscription"] = sub.id
            item["price"] = self._price(li.plan.id)
            if self.period_fields == "items":
                item["current_period_start"], item["current_period_end"] = start, end
            else:
                item.pop("current_period_start", None)
                item.pop("current_period_end", None)
        if self.period_fields == "items":
            out.pop("current_period_start", None)
            out.pop("current_period_end", None)
        else:
            out["current_period_start"], out["current_period_end"] = start, end
        out.setdefault("schedule", None)
        out["schedule"] = getattr(sub, "schedule", None)
        out["trial_start"] = getattr(sub, "trial_start", None)
        out["trial_end"] = getattr(sub, "trial_end", None)
        out["billing_cycle_anchor"] = sub.billing_cycle_anchor or sub.start_date
        out["cancellation_details"] = getattr(sub, "cancellation_details", None) or \
            {"comment": None, "feedback": None, "reason": None}
        out["collection_method"] = "charge_automatically"
        out["default_tax_rates"] = out.get("default_tax_rates") or []
        return out

    def _enrich(self, obj):
        """Fills what localstripe leaves out in any answer (subscriptions, alone or in lists)."""
        if isinstance(obj, list):
            return [self._enrich(o) for o in obj]
        if not isinstance(obj, dict):
            return obj
        if obj.get("object") == "subscription" and ("subscription:" + str(obj.get("id"))) in ls.store:
            return self._enrich_subscription(obj, ls.store["subscription:" + obj["id"]])
        for k, v in list(obj.items()):
            if isinstance(v, (dict, list)):
                obj[k] = self._enrich(v)
        return obj

    @staticmethod
    def _public(session: dict) -> dict:
        return {k: v for k, v in session.items() if not k.startswith("_")}

    # -- state changes (on the loop) --------------------------------------------------------
    def _attach_card(self, customer: str, payment_method: str):
        pm = ls.PaymentMethod._api_retrieve(payment_method)
        ls.PaymentMethod._api_attach(pm.id, customer=customer)
        cus = ls.Customer._api_retrieve(customer)
        cus.invoice_settings["default_payment_method"] = pm.id

    def _create_subscription(self, customer: str, line_items: list[dict], trial_days, metadata: dict,
                             payment_method: str):
        assert line_items, "no line items"
        prices = [(li.get("price") or li.get("plan"), int(li.get("quantity") or 1)) for li in line_items]
        for price, _ in prices:
            ls.Plan._api_retrieve(price)
        if trial_days:
            sub = ls.Subscription(customer=customer, items=[{"plan": prices[0][0], "quantity": prices[0][1]}],
                                  metadata=dict(metadata), trial_period_days=int(trial_days))
            now = int(time.time())
            sub.trial_start, sub.trial_end = now, now + int(trial_days) * DAY
            sub.status = "trialing"
        else:
            self._attach_card(customer, payment_method)
            sub = ls.Subscription(customer=customer, items=[{"plan": prices[0][0], "quantity": prices[0][1]}],
                                  metadata=dict(metadata))
            assert sub.status == "active", f"the first invoice of {sub.id} was not paid ({sub.status})"
        for price, quantity in prices[1:]:   # localstripe makes one item; the others are added as they are
            sub.items._list.append(ls.SubscriptionItem(subscription=sub.id, plan=price, quantity=quantity))
        sub.schedule = None
        return self._sub_export(sub.id)

    def _complete_checkout(self, session_id: str, payment_method: str) -> dict:
        session = self.checkout_sessions[session_id]
        assert session["status"] == "open", f"checkout session {session_id} is {session['status']}"
        customer = session["customer"]
        if customer is None:
            customer = ls.Customer(email=session["customer_email"]).id
            session["customer"] = customer
        data = session["_subscription_data"] or {}
        sub = self._create_subscription(customer, session["_line_items"], data.get("trial_period_days"),
                                        data.get("metadata") or {}, payment_method)
        session.update(status="complete", subscription=sub["id"],
                       payment_status="no_payment_required" if sub["status"] == "trialing" else "paid",
                       invoice=sub.get("latest_invoice"))
        return event("checkout.session.completed", self._public(session))

    def _cancel_now(self, id: str) -> dict:
        sub = ls.Subscription._api_retrieve(id)
        now = int(time.time())
        sub.status, sub.ended_at = "canceled", now
        sub.canceled_at = sub.canceled_at or now
        return self._sub_export(id)

    def _apply_items(self, sub, items: list[dict]):
        for spec in items:
            spec = dict(spec)
            price = spec.get("price") or spec.get("plan")
            quantity = spec.get("quantity")
            if spec.get("id"):
                item = next((i for i in sub.items._list if i.id == spec["id"]), None)
                if item is None:
                    raise UserError(400, f"No such subscription item: '{spec['id']}'",
                                    {"code": "resource_missing", "param": "items"})
                if _flag(spec.get("deleted")):
                    sub.items._list.remove(item)
                    continue
                if price:
                    item.plan = ls.Plan._api_retrieve(price)
                if quantity not in (None, ""):
                    item.quantity = int(quantity)
            else:
                if not price:
                    raise UserError(400, "Missing required param: items[price].", {"code": "parameter_missing"})
                sub.items._list.append(ls.SubscriptionItem(subscription=sub.id, plan=price,
                                                           quantity=int(quantity or 1)))
        if sub.items._list:
            sub.quantity = sub.items._list[0].quantity

    # -- the HTTP side ----------------------------------------------------------------------
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._record_mw, self._outage_mw, self._errors_mw, self._auth_mw])
        r = app.router
        r.add_get("/v1/customers/search", self._h_customer_search)
        r.add_post("/v1/prices", self._h_price_create)
        r.add_get("/v1/prices/{id}", self._h_price_get)
        r.add_get("/v1/prices", self._h_price_list)
        r.add_post("/v1/checkout/sessions", self._h_checkout_create)
        r.add_get("/v1/checkout/sessions/{id}", self._h_checkout_get)
        r.add_get("/v1/checkout/sessions", self._h_checkout_list)
        r.add_post("/v1/billing_portal/sessions", self._h_portal_create)
        r.add_post("/v1/subscriptions/{id}", self._h_subscription_update)
        r.add_delete("/v1/subscriptions/{id}", self._h_subscription_cancel)
        r.add_get("/checkout/{id}", self._h_page)
        r.add_get("/portal/{id}", self._h_page)
        # localstripe's own routes for the rest (customers, subscriptions' reads, plans, invoices, ...)
        for route in ls_server.app.router.routes():
            info = route.resource.get_info() if route.resource is not None else {}
            path = info.get("formatter") or info.get("path")
            if path and route.method != "HEAD":
                r.add_route(route.method, path, route.handler)
        return app

    @web.middleware
    async def _record_mw(self, request: web.Request, handler):
        body = await request.read()
        form = {}
        if body and "json" not in (request.content_type or ""):
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        data = {}
        if request.path.startswith("/v1/"):
            try:
                data = ls_server.unflatten_data(request.query) or {}
                if form:
                    data.update(ls_server.unflatten_data(await request.post()) or {})
            except Exception:  # noqa: BLE001 - a record, never a refusal
                pass
        call = Call(request.method, request.path, dict(request.query), form, data,
                    request.headers.get("Authorization"), dict(request.headers))
        with self._lock:
            self.calls.append(call)
        request[_CALL] = call
        response = await handler(request)
        call.status = response.status
        return response

    @web.middleware
    async def _outage_mw(self, request: web.Request, handler):
        outage = self._outage
        if outage and request.path.startswith("/v1/"):
            status, pattern = outage
            if pattern is None or pattern.search(f"{request.method} {request.path}"):
                request[_CALL].failed = True
                return _error(status, "An error occurred with our connection to Stripe (test outage).", "api_error")
        return await handler(request)

    @web.middleware
    async def _errors_mw(self, request: web.Request, handler):
        try:
            response = await handler(request)
        except UserError as e:
            body = e.body
            if e.code == 404:
                body["error"].setdefault("code", "resource_missing")
            return _json(body, e.code)
        except web.HTTPNotFound:
            return _error(404, f"Unrecognized request URL ({request.method}: {request.path}).")
        except web.HTTPMethodNotAllowed:
            return _error(405, f"Unrecognized request URL ({request.method}: {request.path}).")
        except TypeError as e:   # localstripe refusing a parameter it does not know
            return _error(400, f"Received unknown parameter ({e})", code="parameter_unknown")
        if response.content_type == "application/json" and 200 <= response.status < 300 and \
                request.path.startswith("/v1/") and isinstance(response, web.Response) and response.body:
            obj = self._enrich(json.loads(response.body))
            return _json(obj, response.status)
        return response

    @web.middleware
    async def _auth_mw(self, request: web.Request, handler):
        if request.path.startswith("/v1/") and request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return _error(401, "Invalid API Key provided.")
        return await handler(request)

    async def _data(self, request: web.Request) -> dict:
        data = ls_server.unflatten_data(request.query) or {}
        if request.method == "POST":
            posted = await ls_server.get_post_data(request)
            data.update(posted or {})
        data.pop("expand", None)
        return data

    async def _h_page(self, request):
        return web.Response(text=f"<html><body>Stripe test page {request.match_info['id']}</body></html>",
                            content_type="text/html")

    async def _h_customer_search(self, request):
        data = await self._data(request)
        if not self.search_available:
            return _error(400, "Search is not available in this region (test switch).")
        query = data.get("query")
        if not isinstance(query, str) or not query.strip():
            return _error(400, "Missing required param: query.", code="parameter_missing", param="query")
        clauses, combinator = parse_search(query)
        limit = int(data.get("limit") or 10)
        found = [c for k, c in list(ls.store.items()) if k.startswith("customer:")
                 and _customer_matches(c, clauses, combinator)]
        found.sort(key=lambda c: c.created, reverse=True)
        return _json({"object": "search_result", "url": "/v1/customers/search", "has_more": len(found) > limit,
                      "next_page": None, "total_count": len(found), "data": [c._export() for c in found[:limit]]})

    async def _h_price_create(self, request):
        data = await self._data(request)
        recurring = data.get("recurring") or {}
        if not recurring.get("interval"):
            return _error(400, "This test API only makes recurring prices: recurring[interval] is required.")
        product = data.get("product")
        if product is None:
            name = (data.get("product_data") or {}).get("name")
            if not name:
                return _error(400, "Missing required param: product.", code="parameter_missing")
            product = ls.Product(name=name, type="service").id
        pid = _rid("price_")
        ls.Plan(id=pid, amount=int(data.get("unit_amount") or 0), currency=data.get("currency") or "usd",
                interval=recurring["interval"], interval_count=int(recurring.get("interval_count") or 1),
                product=product, nickname=data.get("nickname"), usage_type=recurring.get("usage_type") or "licensed",
                metadata=data.get("metadata"))
        self._prices[pid] = {"lookup_key": data.get("lookup_key")}
        return _json(self._price(pid))

    async def _h_price_get(self, request):
        return _json(self._price(request.match_info["id"]))

    async def _h_price_list(self, request):
        data = await self._data(request)
        keys = data.get("lookup_keys")
        if isinstance(keys, str):
            keys = [keys]
        active = _flag(data.get("active"))
        prices = [self._price(p.id) for k, p in list(ls.store.items()) if k.startswith("plan:")]
        prices = [p for p in prices if (keys is None or p["lookup_key"] in keys) and (active is None or p["active"] == active)]
        limit = int(data.get("limit") or 10)
        return _json({"object": "list", "url": "/v1/prices", "has_more": len(prices) > limit, "data": prices[:limit]})

    async def _h_checkout_create(self, request):
        data = await self._data(request)
        if data.get("mode") not in ("subscription", "payment", "setup"):
            return _error(400, "Missing required param: mode.", code="parameter_missing", param="mode")
        if data.get("mode") != "setup" and not data.get("success_url") and data.get("ui_mode") != "embedded":
            return _error(400, "Missing required param: success_url.", code="parameter_missing", param="success_url")
        customer = data.get("customer")
        if customer is not None:
            ls.Customer._api_retrieve(customer)
        line_items = data.get("line_items") or []
        if data.get("mode") == "subscription":
            if not isinstance(line_items, list) or not line_items:
                return _error(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
            for li in line_items:
                if not li.get("price"):
                    return _error(400, "Missing required param: line_items[0][price].", code="parameter_missing")
                if ("plan:" + li["price"]) not in ls.store:
                    return _error(400, f"No such price: '{li['price']}'", code="resource_missing",
                                  param="line_items[0][price]")
        sid = "cs_test_" + secrets.token_hex(16)
        now = int(time.time())
        session = {
            "id": sid, "object": "checkout.session", "mode": data["mode"], "status": "open",
            "payment_status": "unpaid", "customer": customer, "customer_email": data.get("customer_email"),
            "client_reference_id": data.get("client_reference_id"), "metadata": data.get("metadata") or {},
            "subscription": None, "invoice": None, "success_url": data.get("success_url"),
            "cancel_url": data.get("cancel_url"), "locale": data.get("locale"),
            "url": f"{self.base_url}/checkout/{sid}", "created": now, "expires_at": now + DAY, "livemode": False,
            "currency": None, "amount_total": None,
            "_line_items": line_items, "_subscription_data": data.get("subscription_data") or {}, "_params": data,
        }
        self.checkout_sessions[sid] = session
        return _json(self._public(session))

    async def _h_checkout_get(self, request):
        session = self.checkout_sessions.get(request.match_info["id"])
        if session is None:
            return _error(404, f"No such checkout.session: '{request.match_info['id']}'", code="resource_missing")
        return _json(self._public(session))

    async def _h_checkout_list(self, request):
        data = await self._data(request)
        sessions = [self._public(s) for s in self.checkout_sessions.values()
                    if all(s.get(k) == data[k] for k in ("customer", "subscription") if k in data)]
        return _json({"object": "list", "url": "/v1/checkout/sessions", "has_more": False, "data": sessions[::-1]})

    async def _h_portal_create(self, request):
        data = await self._data(request)
        customer = data.get("customer")
        if not customer:
            return _error(400, "Missing required param: customer.", code="parameter_missing", param="customer")
        ls.Customer._api_retrieve(customer)
        flow = data.get("flow_data")
        if flow:
            kind = flow.get("type")
            spec = flow.get(kind) or {}
            if kind in ("subscription_update_confirm", "subscription_cancel", "subscription_update"):
                sub = ls.Subscription._api_retrieve(spec.get("subscription") or "")
                if sub.customer != customer:
                    return _error(400, "The subscription does not belong to this customer.")
                if kind == "subscription_cancel" and (sub.cancel_at_period_end or sub.cancel_at):
                    return _error(400, "This subscription is already set to be canceled.")
                for item in spec.get("items") or []:
                    if not any(i.id == item.get("id") for i in sub.items._list):
                        return _error(400, f"No such subscription item: '{item.get('id')}'", code="resource_missing")
                    if item.get("price"):
                        ls.Plan._api_retrieve(item["price"])
        pid = "bps_" + secrets.token_hex(12)
        session = {"id": pid, "object": "billing_portal.session", "customer": customer,
                   "return_url": data.get("return_url"), "flow": flow, "locale": data.get("locale"),
                   "configuration": data.get("configuration"), "created": int(time.time()), "livemode": False,
                   "on_behalf_of": None, "url": f"{self.base_url}/portal/{pid}"}
        self.portal_sessions[pid] = session
        return _json(session)

    _UPDATE_PARAMS = {"items", "cancel_at_period_end", "cancel_at", "proration_behavior", "metadata",
                      "payment_behavior", "billing_cycle_anchor", "proration_date", "trial_end", "description",
                      "default_payment_method", "cancellation_details"}

    async def _h_subscription_update(self, request):
        data = await self._data(request)
        sub = ls.Subscription._api_retrieve(request.match_info["id"])
        unknown = set(data) - self._UPDATE_PARAMS
        if unknown:
            return _error(400, f"Received unknown parameter: {sorted(unknown)[0]}", code="parameter_unknown")
        if sub.status in ("canceled", "incomplete_expired"):
            return _error(400, "A canceled subscription can only update its cancellation_details and metadata.")
        if "proration_behavior" in data and data["proration_behavior"] not in ("create_prorations", "none", "always_invoice"):
            return _error(400, "Invalid proration_behavior", code="parameter_invalid")
        if "items" in data:
            items = data["items"]
            if not isinstance(items, list):
                return _error(400, "Invalid array: items", code="parameter_invalid")
            self._apply_items(sub, items)
        if "cancel_at_period_end" in data:
            sub.cancel_at_period_end = _flag(data["cancel_at_period_end"])
            if sub.cancel_at_period_end:
                sub.cancel_at, sub.canceled_at = None, int(time.time())
        if "cancel_at" in data:
            value = data["cancel_at"]
            if value in ("", None):
                sub.cancel_at = None
            else:
                sub.cancel_at, sub.cancel_at_period_end, sub.canceled_at = int(value), False, int(time.time())
        if not sub.cancel_at_period_end and not sub.cancel_at:
            sub.canceled_at = None
        if data.get("metadata"):
            sub.metadata = {**(sub.metadata or {}), **{k: v for k, v in data["metadata"].items()}}
            sub.metadata = {k: v for k, v in sub.metadata.items() if v != ""}
        if data.get("cancellation_details"):
            sub.cancellation_details = {"comment": None, "feedback": None, "reason": None, **data["cancellation_details"]}
        return _json(self._sub_export(sub.id))

    async def _h_subscription_cancel(self, request):
        sub = ls.Subscription._api_retrieve(request.match_info["id"])
        if sub.status == "canceled":
            return _error(400, f"No such subscription: '{sub.id}'", code="resource_missing")
        return _json(self._cancel_now(sub.id))
