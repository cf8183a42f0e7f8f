"""stripe plugin (issue 19): Stripe customers, checkout, billing portal, signed webhooks and organization
seats, wire-compatible with Better Auth's @better-auth/stripe 1.7.

Stripe is a local stand-in (Tests/http/stripe_api.py): localstripe (PyPI) keeps customers, prices and
subscriptions, a test-only layer adds search, prices, checkout and portal sessions, trials and the API
2025-03-31 shape; the plugin reaches it through `apiBaseURL`. What the customer does at Stripe
(paying a checkout, confirming a portal flow) is played by the helpers, and what Stripe then sends is
delivered as Stripe does, signed by the official `stripe` library. Social sign-in runs through
oidc-provider-mock (test_social's provider). After every refusal the rows and Stripe's record are
read again: a refused request changes nothing."""
from __future__ import annotations

import shutil
import time
import urllib.parse

import pytest
import stripe

from conftest import assert_error, parse_date, unique_email, wait_until
from stripe_api import SECRET_KEY, WEBHOOK_SECRET, StripeAPI, deliver, event, payload_of, signature_header
from test_bearer import built_library
from test_organization import join, new_org
from test_social import idp, new_subject, run_flow, social_config  # noqa: F401 (idp is a fixture)

PLANS = [
    {"name": "Basic", "priceId": "price_basic_monthly", "annualDiscountPriceId": "price_basic_yearly",
     "limits": {"projects": 5}},
    {"name": "Pro", "priceId": "price_pro_monthly", "annualDiscountPriceId": "price_pro_yearly",
     "limits": {"projects": 50}, "freeTrial": {"days": 14}},
    {"name": "Team", "priceId": "price_team_seat", "seatPriceId": "price_team_seat", "limits": {"projects": 500}},
]
PRICES = {"price_basic_monthly": ("month", 900), "price_basic_yearly": ("year", 9000),
          "price_pro_monthly": ("month", 2900), "price_pro_yearly": ("year", 29000),
          "price_team_seat": ("month", 1200)}
SUBSCRIPTION_COLUMNS = {"id", "plan", "referenceId", "stripeCustomerId", "stripeSubscriptionId", "status", "periodStart",
                        "periodEnd", "trialStart", "trialEnd", "cancelAtPeriodEnd", "cancelAt", "canceledAt", "endedAt",
                        "seats", "billingInterval", "stripeScheduleId"}


@pytest.fixture(scope="module")
def plugins(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("stripe-plugins")
    shutil.copy(built_library("stripe"), plugins / "stripe.so")
    shutil.copy(built_library("organization"), plugins / "organization.so")
    return plugins


@pytest.fixture(scope="module")
def api():
    with StripeAPI() as stripe_api:
        for price, (interval, amount) in PRICES.items():
            stripe_api.add_price(price, interval=interval, amount=amount, nickname=price)
        yield stripe_api


def stripe_settings(api: StripeAPI, **extra) -> dict:
    return {"secretKey": SECRET_KEY, "webhookSecret": WEBHOOK_SECRET, "apiBaseURL": api.base_url,
            "createCustomerOnSignUp": True, "subscription": {"enabled": True, "plans": PLANS},
            "organization": {"enabled": True}, **extra}


@pytest.fixture(scope="module")
def srv(server_factory, plugins, api, idp):  # noqa: F811
    return server_factory({"pluginsDir": str(plugins), **social_config(idp),
                           "plugins": {"organization": {}, "stripe": stripe_settings(api)}}, name="stripe")


# ---------------------------------------------------------------------------------------------
# helpers

def ts(value) -> int | None:
    """A stored date as Stripe's epoch seconds."""
    return None if value is None else int(parse_date(value).timestamp())


def customer_id_of(srv, user_id: str) -> str | None:
    return srv.query('SELECT "stripeCustomerId" FROM "user" WHERE id = ?', user_id)[0]["stripeCustomerId"]


def customer_user(srv):
    """A new e-mail user whose sign-up customer exists (the `user.created` hook may finish after the answer)."""
    c = srv.client().new_user()
    assert wait_until(lambda: customer_id_of(srv, c.user["id"]), 10), "no Stripe customer after sign-up"
    return c


def rows(srv, reference_id: str | None = None) -> list[dict]:
    if reference_id is None:
        return srv.query("SELECT * FROM subscription ORDER BY id")
    return srv.query('SELECT * FROM subscription WHERE "referenceId" = ? ORDER BY id', reference_id)


def row_of(srv, stripe_subscription_id: str) -> dict:
    found = srv.query('SELECT * FROM subscription WHERE "stripeSubscriptionId" = ?', stripe_subscription_id)
    assert len(found) == 1, found
    return found[0]


def row_by_id(srv, row_id: str) -> dict:
    return srv.query("SELECT * FROM subscription WHERE id = ?", row_id)[0]


def hook(srv, evt, **kw):
    return deliver(srv.api + "/stripe/webhook", evt, **kw)


def hook_ok(srv, evt, **kw):
    r = hook(srv, evt, **kw)
    assert r.status_code == 200, f"{evt['type'] if isinstance(evt, dict) else 'raw'}: {r.status_code} {r.text[:500]}"
    assert r.json() == {"success": True}, r.text
    return r


def updated(api, sub_id: str, **kw) -> dict:
    """customer.subscription.updated carrying the subscription as Stripe has it now."""
    return event("customer.subscription.updated", api.subscription(sub_id), **kw)


def upgrade(browser, plan: str = "basic", **body):
    return browser.post("subscription/upgrade", {"plan": plan, "successUrl": "/dashboard", "cancelUrl": "/pricing", **body})


def checkout(api, browser, plan: str = "basic", **body) -> tuple[dict, dict]:
    """Upgrade to a plan with no active subscription: (the route's answer, the checkout session at Stripe)."""
    r = upgrade(browser, plan, **body)
    assert r.status_code == 200, r.text
    answer = r.json()
    return answer, api.find_checkout_session(answer["url"])


def pay(srv, api, browser, plan: str = "basic", **body) -> tuple[dict, dict]:
    """Upgrade, pay the checkout at Stripe and deliver checkout.session.completed: (row, Stripe subscription)."""
    _, session = checkout(api, browser, plan, **body)
    completed = api.complete_checkout(session["id"])
    hook_ok(srv, completed)
    sub = api.subscription(completed["data"]["object"]["subscription"])
    return row_of(srv, sub["id"]), sub


def listed(browser, **params) -> list[dict]:
    r = browser.get("subscription/list", params=params or None)
    assert r.status_code == 200, r.text
    return r.json()


def stripe_posts(api, mark: int) -> list:
    return [c for c in api.since(mark) if c.method != "GET"]


def assert_row_matches(row: dict, sub: dict, *, plan: str, status: str | None = None, seats: int = 1):
    item = sub["items"]["data"][0]
    assert row["plan"] == plan and row["status"] == (status or sub["status"]), row
    assert row["stripeSubscriptionId"] == sub["id"] and row["stripeCustomerId"] == sub["customer"], row
    assert ts(row["periodStart"]) == item["current_period_start"] and ts(row["periodEnd"]) == item["current_period_end"], row
    assert row["billingInterval"] == item["price"]["recurring"]["interval"] and row["seats"] == seats, row
    assert bool(row["cancelAtPeriodEnd"]) is bool(sub["cancel_at_period_end"]), row


# ---------------------------------------------------------------------------------------------
# the harness itself

def test_the_stand_in_speaks_stripe_to_the_official_client(api):
    """The stripe library, as a client, reads and writes the stand-in; its signatures verify with the library."""
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": api.base_url}, max_network_retries=0)
    email = unique_email("harness")
    cus = client.v1.customers.create(params={"email": email, "metadata": {"userId": "u"}})
    found = client.v1.customers.search(params={"query": f'email:"{email}" AND -metadata["customerType"]:"organization"'})
    assert [c.id for c in found.data] == [cus.id]
    assert client.v1.prices.retrieve("price_pro_yearly").recurring.interval == "year"
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": cus.id, "line_items": [{"price": "price_basic_monthly", "quantity": 2}],
        "success_url": "https://trusted.com/ok?s={CHECKOUT_SESSION_ID}", "subscription_data": {"metadata": {"k": "v"}}})
    sub_id = api.complete_checkout(session.id)["data"]["object"]["subscription"]
    sub = client.v1.subscriptions.retrieve(sub_id)
    item = sub["items"].data[0]
    assert sub.status == "active" and sub.metadata.to_dict() == {"k": "v"} and item.quantity == 2
    assert item.price.id == "price_basic_monthly" and item.current_period_end > item.current_period_start
    assert client.v1.subscriptions.update(sub_id, params={"items": [{"id": item.id, "quantity": 3}]})["items"].data[0].quantity == 3
    evt = updated(api, sub_id)
    body = payload_of(evt)
    assert stripe.Webhook.construct_event(body, signature_header(body), WEBHOOK_SECRET).data.object.id == sub_id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature_header(body, timestamp=int(time.time()) - 301), WEBHOOK_SECRET)
    with api.outage():
        with pytest.raises(stripe.APIError):
            client.v1.subscriptions.retrieve(sub_id)
    api.cancel_now(sub_id)


# ---------------------------------------------------------------------------------------------
# schema and customers

def test_schema_has_the_subscription_table_and_customer_columns(srv):
    assert SUBSCRIPTION_COLUMNS <= srv.columns("subscription")
    assert "stripeCustomerId" in srv.columns("user")
    assert "stripeCustomerId" in srv.columns("organization")


def test_email_sign_up_creates_a_customer(srv, api):
    mark = api.mark()
    browser = srv.client()
    email = unique_email("ada")
    assert browser.sign_up(email, name="Ada Lovelace").status_code == 200
    user_id = browser.user["id"]
    customer_id = wait_until(lambda: customer_id_of(srv, user_id), 10)
    assert customer_id, "user.stripeCustomerId not set after sign-up"

    customer = api.customer(customer_id)
    assert customer["email"] == email and customer["name"] == "Ada Lovelace"
    assert customer["metadata"] == {"userId": user_id, "customerType": "user"}
    calls = api.since(mark)     # an unverified e-mail reuses no customer: looking one up is optional
    creates = [c for c in calls if c.method == "POST" and c.path == "/v1/customers"]
    assert len(creates) == 1, calls
    create = creates[0]
    assert create.authorization == f"Bearer {SECRET_KEY}"
    assert create.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
    assert create.form["email"] == email and create.form["metadata[userId]"] == user_id
    assert create.form["metadata[customerType]"] == "user"
    assert all(c.authorization == f"Bearer {SECRET_KEY}" for c in calls)


def test_an_unverified_sign_up_never_takes_over_a_customer_with_its_email(srv, api):
    email = unique_email("squat")
    existing = api.create_customer(email=email, name="Someone Else")
    browser = srv.client()
    assert browser.sign_up(email).status_code == 200
    customer_id = wait_until(lambda: customer_id_of(srv, browser.user["id"]), 10)
    assert customer_id and customer_id != existing["id"], "an unverified e-mail reused a customer"
    assert sorted(c["id"] for c in api.customers(email)) == sorted([existing["id"], customer_id])


def test_social_sign_in_with_a_verified_email_reuses_the_customer_found_by_email(srv, api, idp):  # noqa: F811
    sub, email = new_subject(idp)
    existing = api.create_customer(email=email, name="From the shop")
    browser, mark = srv.client(), api.mark()
    r = run_flow(idp, browser, sub)
    assert r.status_code == 302, r.text
    user = browser.session()["user"]
    assert user["email"] == email and user["emailVerified"] is True
    assert wait_until(lambda: customer_id_of(srv, user["id"]), 10) == existing["id"]
    assert [c["id"] for c in api.customers(email)] == [existing["id"]], "a second customer was created"
    [search] = [c for c in api.since(mark) if c.method == "GET" and c.path == "/v1/customers/search"]
    assert email in search.query["query"] and search.authorization == f"Bearer {SECRET_KEY}", search
    # The customer is claimed for this user at Stripe, so no later user with that address takes it.
    assert [c.path for c in stripe_posts(api, mark)] == [f"/v1/customers/{existing['id']}"]
    assert api.customer(existing["id"])["metadata"] == {"userId": user["id"], "customerType": "user"}


def test_social_sign_in_creates_a_customer_when_the_found_one_belongs_to_another_user_or_an_organization(srv, api, idp):  # noqa: F811
    sub, email = new_subject(idp)
    taken = api.create_customer(email=email, metadata={"userId": "someone-else", "customerType": "user"})
    organization = api.create_customer(email=email, metadata={"organizationId": "org-1", "customerType": "organization"})
    browser = srv.client()
    assert run_flow(idp, browser, sub).status_code == 302
    user = browser.session()["user"]
    customer_id = wait_until(lambda: customer_id_of(srv, user["id"]), 10)
    assert customer_id and customer_id not in (taken["id"], organization["id"])
    assert api.customer(customer_id)["metadata"] == {"userId": user["id"], "customerType": "user"}


def test_without_search_the_customer_is_looked_up_by_listing(srv, api, idp):  # noqa: F811
    sub, email = new_subject(idp)
    existing = api.create_customer(email=email)
    api.search_available = False
    try:
        mark = api.mark()
        browser = srv.client()
        assert run_flow(idp, browser, sub).status_code == 302
        user_id = browser.session()["user"]["id"]
        assert wait_until(lambda: customer_id_of(srv, user_id), 10) == existing["id"]
        lists = [c for c in api.since(mark) if c.method == "GET" and c.path == "/v1/customers"]
        assert lists and lists[0].query.get("email") == email, api.since(mark)
    finally:
        api.search_available = True


def test_without_customers_on_sign_up_the_first_upgrade_makes_one(server_factory, plugins, api):
    srv = server_factory({"pluginsDir": str(plugins), "plugins": {
        "organization": {}, "stripe": stripe_settings(api, createCustomerOnSignUp=False)}}, name="stripe-lazy")
    mark = api.mark()
    browser = srv.client().new_user(name="Lazy Lou")
    time.sleep(0.5)                       # what a user.created hook would have done by now
    assert customer_id_of(srv, browser.user["id"]) is None and api.since(mark) == []
    _, session = checkout(api, browser, "basic")
    customer_id = customer_id_of(srv, browser.user["id"])
    assert customer_id and session["customer"] == customer_id
    customer = api.customer(customer_id)
    assert customer["email"] == browser.email and customer["name"] == "Lazy Lou"
    assert customer["metadata"] == {"userId": browser.user["id"], "customerType": "user"}


def test_without_the_organization_plugin_stripe_loads_and_bills_users_only(server_factory, api, tmp_path):
    """The organization table's stripeCustomerId is left out when the organization plugin is not
    loaded (ABI 1.4: fields on an optionally used plugin's table), instead of refusing the plugin."""
    alone = tmp_path / "plugins.d"
    alone.mkdir()
    shutil.copy(built_library("stripe"), alone / "stripe.so")
    srv = server_factory({"pluginsDir": str(alone), "plugins": {"stripe": stripe_settings(api)}}, name="stripe-alone")
    tables = {row["name"] for row in srv.query(
        "SELECT name FROM sqlite_master WHERE type = 'table'" if not srv.on_postgres else
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert "plugin fields left out" in srv.logs() and "subscription" in tables and "organization" not in tables
    browser = srv.client().new_user()
    _, session = checkout(api, browser, "basic")
    assert session["customer"] == customer_id_of(srv, browser.user["id"])
    r = upgrade(browser, "team", customerType="organization", referenceId="org_1")
    assert 400 <= r.status_code < 500, r.text


def test_an_organization_plugin_that_fails_to_start_leaves_stripe_serving(server_factory, plugins, api):
    srv = server_factory({"pluginsDir": str(plugins), "plugins": {"organization": {"membershipLimit": 0},
                                                                   "stripe": stripe_settings(api)}}, name="stripe-orgless")
    assert "plugin skipped" in srv.logs()
    browser = srv.client().new_user()
    _, session = checkout(api, browser, "basic")
    assert session["customer"] == customer_id_of(srv, browser.user["id"])


# ---------------------------------------------------------------------------------------------
# checkout, webhooks, list

def test_checkout_then_webhook_then_list(srv, api):
    browser = customer_user(srv)
    user_id, customer_id = browser.user["id"], customer_id_of(srv, browser.user["id"])
    assert listed(browser) == []

    answer, session = checkout(api, browser, "Basic", successUrl="https://trusted.com/billing?ok=1")
    assert answer["redirect"] is True and answer["url"] == session["url"]
    [row] = rows(srv, user_id)
    assert row["plan"] == "basic" and row["status"] == "incomplete" and row["seats"] == 1
    assert row["stripeCustomerId"] == customer_id and row["stripeSubscriptionId"] is None

    call = api.requests_to("POST", "/v1/checkout/sessions")[-1]
    form = call.form
    assert call.authorization == f"Bearer {SECRET_KEY}"
    assert form["mode"] == "subscription" and form["customer"] == customer_id
    assert form["line_items[0][price]"] == "price_basic_monthly" and form["line_items[0][quantity]"] == "1"
    assert "line_items[1][price]" not in form
    assert form["client_reference_id"] == user_id
    for prefix in ("metadata", "subscription_data[metadata]"):
        assert form[f"{prefix}[userId]"] == user_id and form[f"{prefix}[referenceId]"] == user_id
        assert form[f"{prefix}[subscriptionId]"] == row["id"]
    assert "subscription_data[trial_period_days]" not in form
    success = form["success_url"]        # Stripe fills in the literal {CHECKOUT_SESSION_ID} only
    assert success.startswith(f"{srv.api}/subscription/success?") and success.endswith("&checkoutSessionId={CHECKOUT_SESSION_ID}")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(success).query) == {
        "callbackURL": ["https://trusted.com/billing?ok=1"], "checkoutSessionId": ["{CHECKOUT_SESSION_ID}"]}
    assert form["cancel_url"] == f"{srv.base_url}/pricing"
    assert listed(browser) == [], "an incomplete subscription is not listed"

    completed = api.complete_checkout(session["id"])
    hook_ok(srv, completed)
    sub = api.subscription(completed["data"]["object"]["subscription"])
    row = row_by_id(srv, row["id"])
    assert_row_matches(row, sub, plan="basic", status="active")
    assert row["referenceId"] == user_id and row["billingInterval"] == "month"

    # Stripe's own customer.subscription.created for the same subscription adds no row.
    hook_ok(srv, event("customer.subscription.created", sub))
    assert len(rows(srv, user_id)) == 1

    [entry] = listed(browser)
    assert entry["id"] == row["id"] and entry["plan"] == "basic" and entry["status"] == "active"
    assert entry["stripeSubscriptionId"] == sub["id"] and entry["referenceId"] == user_id
    assert entry["limits"] == {"projects": 5} and entry["priceId"] == "price_basic_monthly"
    assert ts(entry["periodEnd"]) == sub["items"]["data"][0]["current_period_end"]

    # The same plan again: refused, nothing new at Stripe.
    mark = api.mark()
    assert_error(upgrade(browser, "basic"), 400, "ALREADY_SUBSCRIBED_PLAN")
    assert stripe_posts(api, mark) == [] and len(rows(srv, user_id)) == 1


def test_stripes_own_created_event_before_the_checkout_event_makes_no_second_row(srv, api):
    browser = customer_user(srv)
    _, session = checkout(api, browser, "basic")
    completed = api.complete_checkout(session["id"])
    sub = api.subscription(completed["data"]["object"]["subscription"])
    hook_ok(srv, event("customer.subscription.created", sub))      # Stripe usually sends this one first
    hook_ok(srv, completed)
    [row] = rows(srv, browser.user["id"])
    assert row["stripeSubscriptionId"] == sub["id"] and row["status"] == "active"


def test_concurrent_deliveries_of_one_event_apply_it_once(srv, api):
    from concurrent.futures import ThreadPoolExecutor
    browser = customer_user(srv)
    sub = api.create_subscription(customer_id_of(srv, browser.user["id"]), "price_basic_monthly")
    created = event("customer.subscription.created", sub)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: hook(srv, created).status_code, range(8)))
    assert statuses == [200] * 8
    assert len(rows(srv, browser.user["id"])) == 1


def test_a_late_older_update_never_undoes_stripes_state(srv, api):
    browser = customer_user(srv)
    row, sub = pay(srv, api, browser, "basic")
    stale = updated(api, sub["id"])                                  # active, as it was
    api.update_subscription(sub["id"], cancel_at_period_end=True)
    hook_ok(srv, updated(api, sub["id"]))
    hook_ok(srv, stale)                                              # delivered late
    assert row_by_id(srv, row["id"])["cancelAtPeriodEnd"] in (1, True)


def test_a_rate_limited_stripe_is_an_outage_for_the_webhook(srv, api):
    browser = customer_user(srv)
    _, session = checkout(api, browser, "basic")
    completed = api.complete_checkout(session["id"])
    with api.outage(status=429):
        r = hook(srv, completed)
    assert r.status_code == 500, r.text
    assert [x["status"] for x in rows(srv, browser.user["id"])] == ["incomplete"]
    hook_ok(srv, completed)
    assert [x["status"] for x in rows(srv, browser.user["id"])] == ["active"]


def test_monthly_to_annual_on_the_same_plan_is_a_change_not_a_refusal(srv, api):
    browser = customer_user(srv)
    pay(srv, api, browser, "basic")
    r = upgrade(browser, "basic", annual=True, returnUrl="/billing")
    assert r.status_code == 200, r.text
    portal = api.find_portal_session(r.json()["url"])
    assert portal["flow"]["type"] == "subscription_update_confirm"


def test_restore_clears_one_kind_of_pending_cancellation_at_a_time(srv, api):
    browser = customer_user(srv)
    row, sub = pay(srv, api, browser, "basic")
    api.update_subscription(sub["id"], cancel_at_period_end=True)
    hook_ok(srv, updated(api, sub["id"]))
    mark = api.mark()
    assert browser.post("subscription/restore", {}).status_code == 200
    [restore] = [c for c in stripe_posts(api, mark) if c.path == f"/v1/subscriptions/{sub['id']}"]
    assert restore.form == {"cancel_at_period_end": "false"}


def test_the_success_return_never_leaves_the_trusted_origins(srv, api):
    browser = customer_user(srv)
    for session_id in ("/evil.example/x", "cs_1/../../x", "%2F%2Fevil.example"):
        r = browser.get("subscription/success", params={"callbackURL": "/{CHECKOUT_SESSION_ID}", "checkoutSessionId": session_id},
                        allow_redirects=False)
        assert r.status_code == 302 and "evil.example" not in r.headers["location"] and not r.headers["location"].startswith("//"), r.headers


def test_disable_redirect_and_the_incomplete_row_is_reused(srv, api):
    browser = customer_user(srv)
    first, _ = checkout(api, browser, "basic", disableRedirect=True)
    assert first["redirect"] is False
    checkout(api, browser, "pro", seats=3)      # the first checkout abandoned, another plan picked
    [row] = rows(srv, browser.user["id"])
    assert row["status"] == "incomplete" and row["plan"] == "pro" and row["seats"] == 3
    form = api.requests_to("POST", "/v1/checkout/sessions")[-1].form
    assert form["metadata[subscriptionId]"] == row["id"]
    assert form["line_items[0][price]"] == "price_pro_monthly" and form["line_items[0][quantity]"] == "3"


def test_annual_checkout_bills_the_annual_price(srv, api):
    browser = customer_user(srv)
    _, session = checkout(api, browser, "basic", annual=True)
    assert api.requests_to("POST", "/v1/checkout/sessions")[-1].form["line_items[0][price]"] == "price_basic_yearly"
    completed = api.complete_checkout(session["id"])
    hook_ok(srv, completed)
    sub = api.subscription(completed["data"]["object"]["subscription"])
    row = row_of(srv, sub["id"])
    assert_row_matches(row, sub, plan="basic", status="active")
    assert row["billingInterval"] == "year"
    [entry] = listed(browser)
    assert entry["priceId"] == "price_basic_yearly" and entry["limits"] == {"projects": 5}


def test_a_free_trial_is_given_once_per_reference(srv, api):
    browser = customer_user(srv)
    user_id = browser.user["id"]
    _, session = checkout(api, browser, "pro")
    assert api.requests_to("POST", "/v1/checkout/sessions")[-1].form["subscription_data[trial_period_days]"] == "14"
    completed = api.complete_checkout(session["id"])
    hook_ok(srv, completed)
    sub = api.subscription(completed["data"]["object"]["subscription"])
    assert sub["status"] == "trialing"
    row = row_of(srv, sub["id"])
    assert_row_matches(row, sub, plan="pro", status="trialing")
    assert ts(row["trialStart"]) == sub["trial_start"] and ts(row["trialEnd"]) == sub["trial_end"]
    assert ts(row["periodEnd"]) == sub["trial_end"]
    assert [e["status"] for e in listed(browser)] == ["trialing"]

    # The trial ends with the subscription; a new checkout, even of the same plan, has no trial.
    hook_ok(srv, event("customer.subscription.deleted", api.cancel_now(sub["id"])))
    assert row_of(srv, sub["id"])["status"] == "canceled" and listed(browser) == []
    checkout(api, browser, "pro")
    form = api.requests_to("POST", "/v1/checkout/sessions")[-1].form
    assert "subscription_data[trial_period_days]" not in form, form
    assert len(rows(srv, user_id)) == 2


def test_success_return_syncs_the_paid_checkout_and_redirects(srv, api):
    browser = customer_user(srv)
    _, session = checkout(api, browser, "basic", successUrl="/welcome")
    [row] = rows(srv, browser.user["id"])
    completed = api.complete_checkout(session["id"])
    back = api.success_url(session["id"])
    assert back.startswith(f"{srv.api}/subscription/success?") and session["id"] in back

    # An untrusted callback is refused before anything; a browser without a session is only redirected.
    evil = back.replace(urllib.parse.quote("/welcome", safe=""), urllib.parse.quote("https://evil.example/x", safe=""))
    assert "evil.example" in evil
    assert_error(browser.get(evil), 403, "INVALID_CALLBACK_URL")
    r = srv.client().get(back)
    assert r.status_code == 302 and r.headers["Location"] == f"{srv.base_url}/welcome"
    assert row_by_id(srv, row["id"])["status"] == "incomplete"

    r = browser.get(back)     # no webhook yet: the return itself syncs
    assert r.status_code == 302 and r.headers["Location"] == f"{srv.base_url}/welcome", r.text
    sub = api.subscription(completed["data"]["object"]["subscription"])
    assert_row_matches(row_by_id(srv, row["id"]), sub, plan="basic", status="active")
    # The webhook arriving afterwards changes nothing.
    hook_ok(srv, completed)
    assert len(rows(srv, browser.user["id"])) == 1
    assert_row_matches(row_by_id(srv, row["id"]), sub, plan="basic", status="active")


def test_billing_portal(srv, api):
    browser = customer_user(srv)
    r = browser.post("subscription/billing-portal", {"returnUrl": "/account"})
    assert r.status_code == 200, r.text
    portal = api.find_portal_session(r.json()["url"])
    assert r.json()["redirect"] is True
    assert portal["customer"] == customer_id_of(srv, browser.user["id"]) and portal["return_url"] == f"{srv.base_url}/account"
    assert portal["flow"] is None
    assert_error(browser.post("subscription/billing-portal", {"returnUrl": "https://evil.example/back"}), 403)


# ---------------------------------------------------------------------------------------------
# changes: plan, cancel and restore, deletion, subscriptions made at Stripe

def test_plan_change_goes_through_the_portal_then_the_webhook(srv, api):
    browser = customer_user(srv)
    row, sub = pay(srv, api, browser, "basic")
    checkouts = len(api.requests_to("POST", "/v1/checkout/sessions"))
    r = upgrade(browser, "pro", returnUrl="/account")
    assert r.status_code == 200, r.text
    portal = api.find_portal_session(r.json()["url"])
    assert r.json()["redirect"] is True
    flow = portal["flow"]
    assert portal["customer"] == sub["customer"] and flow["type"] == "subscription_update_confirm"
    confirm = flow["subscription_update_confirm"]
    assert confirm["subscription"] == sub["id"]
    assert confirm["items"][0]["id"] == sub["items"]["data"][0]["id"] and confirm["items"][0]["price"] == "price_pro_monthly"
    assert str(confirm["items"][0].get("quantity", "1")) == "1"
    assert len(api.requests_to("POST", "/v1/checkout/sessions")) == checkouts, "no checkout for a plan change"
    assert len(rows(srv, browser.user["id"])) == 1 and row_by_id(srv, row["id"])["plan"] == "basic"

    changed = api.complete_portal(portal["id"])
    hook_ok(srv, event("customer.subscription.updated", changed,
                       previous_attributes={"items": sub["items"]}))
    assert_row_matches(row_by_id(srv, row["id"]), changed, plan="pro", status="active")
    [entry] = listed(browser)
    assert entry["plan"] == "pro" and entry["priceId"] == "price_pro_monthly" and entry["limits"] == {"projects": 50}


def test_cancel_then_restore(srv, api):
    browser = customer_user(srv)
    row, sub = pay(srv, api, browser, "basic")
    assert_error(browser.post("subscription/restore", {}), 400, "SUBSCRIPTION_NOT_PENDING_CHANGE")

    r = browser.post("subscription/cancel", {"returnUrl": "/account"})
    assert r.status_code == 200, r.text
    portal = api.find_portal_session(r.json()["url"])
    assert r.json()["redirect"] is True and portal["return_url"] == f"{srv.base_url}/account"
    assert portal["flow"]["type"] == "subscription_cancel"
    assert portal["flow"]["subscription_cancel"]["subscription"] == sub["id"]

    canceling = api.complete_portal(portal["id"])
    hook_ok(srv, event("customer.subscription.updated", canceling))
    row = row_by_id(srv, row["id"])
    assert bool(row["cancelAtPeriodEnd"]) is True and ts(row["canceledAt"]) == canceling["canceled_at"]
    assert row["status"] == "active" and [e["id"] for e in listed(browser)] == [row["id"]]

    mark = api.mark()
    r = browser.post("subscription/restore", {})
    assert r.status_code == 200, r.text
    [call] = [c for c in api.since(mark) if c.method == "POST"]
    assert call.path == f"/v1/subscriptions/{sub['id']}" and call.form.get("cancel_at_period_end") == "false", call
    assert api.subscription(sub["id"])["cancel_at_period_end"] is False
    row = row_by_id(srv, row["id"])
    assert not row["cancelAtPeriodEnd"] and row["cancelAt"] is None and row["canceledAt"] is None
    assert_error(browser.post("subscription/restore", {}), 400, "SUBSCRIPTION_NOT_PENDING_CHANGE")

    # A cancellation at a date (cancel_at) is restored by clearing the date.
    at = sub["items"]["data"][0]["current_period_end"] - 3600
    hook_ok(srv, updated(api, api.update_subscription(sub["id"], cancel_at=at, canceled_at=int(time.time()))["id"]))
    assert ts(row_by_id(srv, row["id"])["cancelAt"]) == at
    mark = api.mark()
    assert browser.post("subscription/restore", {}).status_code == 200
    [call] = [c for c in api.since(mark) if c.method == "POST"]
    assert call.form.get("cancel_at") == "", call
    assert api.subscription(sub["id"])["cancel_at"] is None and row_by_id(srv, row["id"])["cancelAt"] is None


def test_cancel_without_a_subscription(srv, api):
    browser = customer_user(srv)
    mark = api.mark()
    assert_error(browser.post("subscription/cancel", {"returnUrl": "/account"}), 400, "SUBSCRIPTION_NOT_FOUND")
    assert stripe_posts(api, mark) == []


def test_deletion_ends_the_subscription(srv, api):
    browser = customer_user(srv)
    row, sub = pay(srv, api, browser, "basic")
    deleted = api.cancel_now(sub["id"])
    hook_ok(srv, event("customer.subscription.deleted", deleted))
    row = row_by_id(srv, row["id"])
    assert row["status"] == "canceled" and ts(row["endedAt"]) == deleted["ended_at"]
    assert listed(browser) == []
    # A new checkout starts a new row; the canceled one stays.
    checkout(api, browser, "basic")
    assert sorted(r["status"] for r in rows(srv, browser.user["id"])) == ["canceled", "incomplete"]


def test_a_subscription_made_at_stripe_is_added_for_a_known_customer_only(srv, api):
    browser = customer_user(srv)
    customer_id = customer_id_of(srv, browser.user["id"])
    sub = api.create_subscription(customer_id, "price_pro_monthly")
    hook_ok(srv, event("customer.subscription.created", sub))
    row = row_of(srv, sub["id"])
    assert row["referenceId"] == browser.user["id"]
    assert_row_matches(row, sub, plan="pro", status="active")
    hook_ok(srv, event("customer.subscription.created", sub))     # Stripe sends it again (another event id)
    assert len(rows(srv, browser.user["id"])) == 1

    stranger = api.create_customer(email=unique_email("stranger"))
    other = api.create_subscription(stranger["id"], "price_basic_monthly")
    before = rows(srv)
    for kind in ("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"):
        hook_ok(srv, event(kind, other))
    hook_ok(srv, event("invoice.paid", {"id": "in_test", "object": "invoice", "customer": customer_id}))
    assert rows(srv) == before


def test_periods_come_from_the_subscription_on_older_api_versions(srv, api):
    browser = customer_user(srv)
    api.period_fields = "subscription"
    try:
        row, sub = pay(srv, api, browser, "basic")
        assert "current_period_end" not in sub["items"]["data"][0]
        assert ts(row["periodStart"]) == sub["current_period_start"] and ts(row["periodEnd"]) == sub["current_period_end"]
    finally:
        api.period_fields = "items"


# ---------------------------------------------------------------------------------------------
# deliveries: forged, stale, duplicate; an outage

def test_forged_stale_and_malformed_deliveries_change_nothing(srv, api):
    browser = customer_user(srv)
    row, sub = pay(srv, api, browser, "basic")
    canceling = api.update_subscription(sub["id"], cancel_at_period_end=True, canceled_at=int(time.time()))
    evt = event("customer.subscription.updated", canceling)
    body = payload_of(evt)
    now = int(time.time())
    good = signature_header(body, timestamp=now)
    sig = good.split("v1=")[1]
    before = rows(srv)

    assert_error(hook(srv, evt, headers={"Stripe-Signature": None}), 400, "STRIPE_SIGNATURE_NOT_FOUND")
    refusals = {
        "other secret": dict(secret="whsec_someone_else"),
        "stale": dict(timestamp=now - 600),
        "garbage header": dict(signature="garbage"),
        "no timestamp": dict(signature=f"v1={sig}"),
        "bad timestamp": dict(signature=f"t=yesterday,v1={sig}"),
        "no v1": dict(signature=f"t={now}"),
        "only another scheme": dict(signature=f"t={now},v0={sig}"),
        "wrong length": dict(signature=f"t={now},v1={sig[:-2]}"),
        "signature of another timestamp": dict(signature=f"t={now - 1},v1={sig}"),
    }
    for name, kw in refusals.items():
        r = hook(srv, evt, **kw)
        assert r.status_code == 400, f"{name}: {r.status_code} {r.text[:300]}"
        assert_error(r, 400, "FAILED_TO_CONSTRUCT_STRIPE_EVENT")
    # The body edited after signing.
    tampered = body.replace('"cancel_at_period_end": true', '"cancel_at_period_end": false')
    assert tampered != body
    assert_error(hook(srv, tampered, signature=good), 400, "FAILED_TO_CONSTRUCT_STRIPE_EVENT")
    # Signed, but not JSON.
    assert_error(hook(srv, "this is not json", headers={"Content-Type": "text/plain"}), 400, "FAILED_TO_CONSTRUCT_STRIPE_EVENT")
    assert_error(hook(srv, '{"id": "evt_x", "type": '), 400, "FAILED_TO_CONSTRUCT_STRIPE_EVENT")
    assert rows(srv) == before, "a refused delivery changed a row"

    # Any v1 may match, other schemes are ignored; a timestamp within the tolerance is taken.
    t = now - 120
    fresh = signature_header(body, timestamp=t).split("v1=")[1]
    r = hook(srv, evt, signature=f"t={t},v0=deadbeef,v1={'0' * 64},v1={fresh}")
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    assert bool(row_by_id(srv, row["id"])["cancelAtPeriodEnd"]) is True


def test_a_redelivered_event_is_applied_once_even_after_newer_events(srv, api):
    browser = customer_user(srv)
    row, sub = pay(srv, api, browser, "basic")
    first = event("customer.subscription.updated", api.update_subscription(
        sub["id"], cancel_at_period_end=True, canceled_at=int(time.time())))
    hook_ok(srv, first)
    hook_ok(srv, first)                     # at once
    assert bool(row_by_id(srv, row["id"])["cancelAtPeriodEnd"]) is True

    second = event("customer.subscription.updated", api.update_subscription(
        sub["id"], cancel_at_period_end=False, canceled_at=None))
    hook_ok(srv, second)
    state = row_by_id(srv, row["id"])
    assert not state["cancelAtPeriodEnd"] and state["canceledAt"] is None

    hook_ok(srv, first)                     # late: the old state must not come back
    assert row_by_id(srv, row["id"]) == state
    hook_ok(srv, second)
    assert row_by_id(srv, row["id"]) == state

    # The same for a deletion delivered twice.
    deleted = event("customer.subscription.deleted", api.cancel_now(sub["id"]))
    hook_ok(srv, deleted)
    ended = row_by_id(srv, row["id"])
    assert ended["status"] == "canceled"
    hook_ok(srv, deleted)
    assert row_by_id(srv, row["id"]) == ended


def test_an_api_outage_during_a_webhook_answers_500_and_the_retry_applies_it(srv, api):
    browser = customer_user(srv)
    _, session = checkout(api, browser, "basic")
    [row] = rows(srv, browser.user["id"])
    completed = api.complete_checkout(session["id"])
    sub_id = completed["data"]["object"]["subscription"]

    mark = api.mark()
    with api.outage(500):
        r = hook(srv, completed)
    assert r.status_code == 500, f"expected 500 during the outage, got {r.status_code}: {r.text[:300]}"
    assert any(c.failed for c in api.since(mark)), "the plugin did not call Stripe"
    assert row_by_id(srv, row["id"]) == row, "something was written during the outage"

    hook_ok(srv, completed)                 # Stripe retries the same event
    assert_row_matches(row_by_id(srv, row["id"]), api.subscription(sub_id), plan="basic", status="active")

    # The same for an update whose subscription Stripe cannot answer for a while (a 503 this time).
    canceling = event("customer.subscription.updated", api.update_subscription(sub_id, cancel_at_period_end=True,
                                                                                 canceled_at=int(time.time())))
    before = row_by_id(srv, row["id"])
    with api.outage(503):
        r = hook(srv, canceling)
    if r.status_code == 200:
        # The plugin needed no call to Stripe for this event: it must then have been applied.
        assert bool(row_by_id(srv, row["id"])["cancelAtPeriodEnd"]) is True
    else:
        assert r.status_code == 500, r.text
        assert row_by_id(srv, row["id"]) == before
        hook_ok(srv, canceling)
        assert bool(row_by_id(srv, row["id"])["cancelAtPeriodEnd"]) is True


# ---------------------------------------------------------------------------------------------
# references

def test_routes_need_a_session(srv):
    anonymous = srv.client()
    for method, path, body in [("POST", "subscription/upgrade", {"plan": "basic"}),
                               ("POST", "subscription/cancel", {"returnUrl": "/"}),
                               ("POST", "subscription/restore", {}),
                               ("GET", "subscription/list", None),
                               ("POST", "subscription/billing-portal", {"returnUrl": "/"})]:
        r = anonymous.get(path) if method == "GET" else anonymous.post(path, body)
        assert_error(r, 401, "UNAUTHORIZED")


def test_another_users_reference_or_subscription_is_refused(srv, api):
    alice = customer_user(srv)
    alice_row, alice_sub = pay(srv, api, alice, "basic")
    alice_id = alice.user["id"]
    mallory = customer_user(srv)
    before = rows(srv)
    mark = api.mark()

    assert_error(upgrade(mallory, "pro", referenceId=alice_id), 400, "REFERENCE_ID_NOT_ALLOWED")
    assert_error(upgrade(mallory, "pro", subscriptionId=alice_sub["id"]), 400, "SUBSCRIPTION_NOT_FOUND")
    assert_error(mallory.post("subscription/cancel", {"returnUrl": "/", "referenceId": alice_id}), 400, "REFERENCE_ID_NOT_ALLOWED")
    assert_error(mallory.post("subscription/cancel", {"returnUrl": "/", "subscriptionId": alice_sub["id"]}), 400, "SUBSCRIPTION_NOT_FOUND")
    assert_error(mallory.post("subscription/restore", {"subscriptionId": alice_sub["id"]}), 400, "SUBSCRIPTION_NOT_FOUND")
    assert_error(mallory.post("subscription/restore", {"referenceId": alice_id}), 400, "REFERENCE_ID_NOT_ALLOWED")
    assert_error(mallory.get("subscription/list", params={"referenceId": alice_id}), 400, "REFERENCE_ID_NOT_ALLOWED")
    assert_error(mallory.post("subscription/billing-portal", {"returnUrl": "/", "referenceId": alice_id}), 400,
                 "REFERENCE_ID_NOT_ALLOWED")
    assert rows(srv) == before
    assert stripe_posts(api, mark) == [], "a refused request reached Stripe"
    assert listed(mallory) == [] and [e["id"] for e in listed(alice, referenceId=alice_id)] == [alice_row["id"]]


# ---------------------------------------------------------------------------------------------
# organizations and seats

def org_upgrade(browser, org, plan: str = "team", **body):
    return upgrade(browser, plan, customerType="organization", referenceId=org["id"], **body)


def org_customer_id(srv, org_id: str) -> str | None:
    return srv.query('SELECT "stripeCustomerId" FROM organization WHERE id = ?', org_id)[0]["stripeCustomerId"]


def quantity(api, sub_id: str) -> int:
    return api.subscription(sub_id)["items"]["data"][0]["quantity"]


def test_organization_subscription_bills_its_members_as_seats(srv, api):
    owner = customer_user(srv)
    org = new_org(owner, "Acme")
    r = org_upgrade(owner, org)
    assert r.status_code == 200, r.text
    session = api.find_checkout_session(r.json()["url"])

    customer_id = org_customer_id(srv, org["id"])
    assert customer_id and customer_id != customer_id_of(srv, owner.user["id"])
    customer = api.customer(customer_id)
    assert customer["name"] == "Acme"
    assert customer["metadata"] == {"organizationId": org["id"], "customerType": "organization"}
    form = api.requests_to("POST", "/v1/checkout/sessions")[-1].form
    assert form["customer"] == customer_id and form["client_reference_id"] == org["id"]
    assert form["line_items[0][price]"] == "price_team_seat" and form["line_items[0][quantity]"] == "1"
    assert "line_items[1][price]" not in form, "a seat-only plan is one line"
    assert form["metadata[referenceId]"] == org["id"] and form["metadata[userId]"] == owner.user["id"]
    [row] = rows(srv, org["id"])
    assert row["plan"] == "team" and row["seats"] == 1 and row["stripeCustomerId"] == customer_id

    completed = api.complete_checkout(session["id"])
    hook_ok(srv, completed)
    sub_id = completed["data"]["object"]["subscription"]
    assert_row_matches(row_by_id(srv, row["id"]), api.subscription(sub_id), plan="team", status="active", seats=1)
    assert [e["id"] for e in listed(owner, customerType="organization", referenceId=org["id"])] == [row["id"]]

    # Members come and go: Stripe's quantity and the row's seats follow.
    member, _ = join(owner, org)
    assert wait_until(lambda: quantity(api, sub_id) == 2, 10), "Stripe's quantity did not follow the new member"
    assert wait_until(lambda: row_by_id(srv, row["id"])["seats"] == 2, 10)
    update = [c for c in api.requests_to("POST", f"/v1/subscriptions/{sub_id}")][-1]
    item_id = api.subscription(sub_id)["items"]["data"][0]["id"]
    assert update.form.get("items[0][id]") == item_id and update.form.get("items[0][quantity]") == "2", update
    admin, _ = join(owner, org, "admin")
    assert wait_until(lambda: quantity(api, sub_id) == 3 and row_by_id(srv, row["id"])["seats"] == 3, 10)
    r = owner.post("organization/remove-member", {"memberIdOrEmail": admin.email, "organizationId": org["id"]})
    assert r.status_code == 200, r.text
    assert wait_until(lambda: quantity(api, sub_id) == 2 and row_by_id(srv, row["id"])["seats"] == 2, 10)

    # Members may list; changes and the portal need organization:update (owner, admin).
    assert [e["id"] for e in listed(member, customerType="organization", referenceId=org["id"])] == [row["id"]]
    before, mark = rows(srv), api.mark()
    for r in [org_upgrade(member, org, "pro"),
              member.post("subscription/cancel", {"returnUrl": "/", "customerType": "organization", "referenceId": org["id"]}),
              member.post("subscription/restore", {"customerType": "organization", "referenceId": org["id"]}),
              member.post("subscription/billing-portal", {"returnUrl": "/", "customerType": "organization", "referenceId": org["id"]})]:
        assert 400 <= r.status_code < 500, f"a member changed the organization's billing: {r.status_code} {r.text[:300]}"
        assert_error(r, r.status_code)
    assert rows(srv) == before and stripe_posts(api, mark) == []
    r = owner.post("subscription/billing-portal", {"returnUrl": "/", "customerType": "organization", "referenceId": org["id"]})
    assert r.status_code == 200 and api.find_portal_session(r.json()["url"])["customer"] == customer_id, r.text

    stranger = customer_user(srv)
    r = stranger.get("subscription/list", params={"customerType": "organization", "referenceId": org["id"]})
    assert 400 <= r.status_code < 500, r.text
    assert_error(r, r.status_code)

    # A subscription made in Stripe's dashboard for the organization's customer joins it too.
    made = api.create_subscription(customer_id, "price_pro_monthly")
    hook_ok(srv, event("customer.subscription.created", made))
    assert row_of(srv, made["id"])["referenceId"] == org["id"]


# ---------------------------------------------------------------------------------------------
# bad input

def test_unknown_plans_and_untrusted_urls_write_nothing_and_call_nobody(srv, api):
    browser = customer_user(srv)
    before, mark = rows(srv), api.mark()
    assert_error(upgrade(browser, "platinum"), 400, "SUBSCRIPTION_PLAN_NOT_FOUND")
    assert_error(upgrade(browser, "team", annual=True), 400, "PRICE_ID_NOT_FOUND_FOR_THE_SELECTED_PLAN")
    for body in [{"successUrl": "https://evil.example/ok"}, {"cancelUrl": "https://evil.example/no"},
                 {"returnUrl": "https://evil.example/back"}]:
        assert_error(upgrade(browser, "basic", **body), 403)
    assert_error(browser.post("subscription/cancel", {"returnUrl": "https://evil.example/back"}), 403)
    assert_error(browser.post("subscription/billing-portal", {"returnUrl": "https://evil.example/back"}), 403)
    assert rows(srv) == before
    assert api.since(mark) == [], "a refused request reached Stripe"
    # Trusted origins and relative URLs are fine.
    answer, _ = checkout(api, browser, "basic", successUrl="https://app.example.com/done", cancelUrl="https://trusted.com/back")
    assert answer["url"]


def test_webhook_garbage_is_never_a_server_error(srv, api):
    before = rows(srv)
    now = int(time.time())
    bodies = ["", "null", "[]", "{}", '{"type": "customer.subscription.updated"}', "\x00\x01\x02", "{" * 5000]
    for body in bodies:
        for signature in (None, signature_header(body), "t=1,v1=00", f"t={now}," + "v1=" * 200):
            headers = {"Stripe-Signature": None} if signature is None else {}
            r = hook(srv, body, signature=signature or "unused", headers=headers)
            assert r.status_code < 500, f"{body[:30]!r} / {signature and signature[:30]!r}: {r.status_code} {r.text[:200]}"
    assert rows(srv) == before
