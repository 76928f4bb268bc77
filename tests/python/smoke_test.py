"""Smoke test of the Python client that openapi-python-client generates from
openapi/openapi.json (package `order_service_client`), against a running orders-server
started with --demo at ORDERS_BASE_URL: sign up, log in, place an order, and read the
typed problem of an order the stock cannot fill. Run by tests/python/run.sh."""

import os
import uuid

import pytest
from order_service_client import AuthenticatedClient, Client
from order_service_client.api.auth import issue_token
from order_service_client.api.orders import get_order, place_order
from order_service_client.api.products import get_product, list_products
from order_service_client.api.users import get_me, register_user
from order_service_client.models import (
    Order,
    OrderRequest,
    OrderRequestItem,
    OrderStatus,
    Problem,
    Product,
    ProductPage,
    Registration,
    Role,
    Tier,
    Token,
    TokenRequest,
    User,
)

PASSWORD = "smoke-test-password"


@pytest.fixture(scope="module")
def base_url() -> str:
    url = os.environ.get("ORDERS_BASE_URL")
    assert url, "ORDERS_BASE_URL must name a running orders-server (tests/python/run.sh sets it)"
    return url


@pytest.fixture(scope="module")
def anonymous(base_url: str) -> Client:
    return Client(base_url=base_url, raise_on_unexpected_status=True)


@pytest.fixture(scope="module")
def signed_up(anonymous: Client) -> User:
    email = f"smoke-{uuid.uuid4().hex}@example.com"
    answer = register_user.sync_detailed(
        client=anonymous, body=Registration(email=email, password=PASSWORD, full_name="Smoke Test")
    )
    assert answer.status_code == 201, answer.content
    assert isinstance(answer.parsed, User)
    assert answer.headers["location"] == f"/v1/users/{answer.parsed.id}"
    return answer.parsed


@pytest.fixture(scope="module")
def customer(base_url: str, anonymous: Client, signed_up: User) -> AuthenticatedClient:
    token = issue_token.sync(client=anonymous, body=TokenRequest(username=signed_up.email, password=PASSWORD))
    assert isinstance(token, Token), token
    return AuthenticatedClient(base_url=base_url, token=token.access_token, raise_on_unexpected_status=True)


def demo_product(client: Client, sku: str) -> Product:
    page = list_products.sync(client=client, limit=100)
    assert isinstance(page, ProductPage), page
    return next(product for product in page.items if product.sku == sku)


def test_a_new_user_is_a_standard_customer_who_can_log_in(signed_up: User, customer: AuthenticatedClient):
    assert (signed_up.tier, signed_up.role, signed_up.full_name) == (Tier.STANDARD, Role.CUSTOMER, "Smoke Test")

    me = get_me.sync(client=customer)

    assert isinstance(me, User), me
    assert (me.id, me.email) == (signed_up.id, signed_up.email)


def test_wrong_credentials_are_a_401_problem(anonymous: Client, signed_up: User):
    answer = issue_token.sync_detailed(
        client=anonymous, body=TokenRequest(username=signed_up.email, password="not-the-password")
    )

    assert answer.status_code == 401
    assert isinstance(answer.parsed, Problem)
    assert answer.parsed.code == "invalid_credentials"


def test_placing_an_order_takes_stock_and_a_retry_with_its_key_is_replayed(
    anonymous: Client, customer: AuthenticatedClient, signed_up: User
):
    mug = demo_product(anonymous, "DEMO-MUG")
    body = OrderRequest(items=[OrderRequestItem(product_id=mug.id, quantity=2)])
    key = str(uuid.uuid4())

    placed = place_order.sync_detailed(client=customer, body=body, idempotency_key=key)
    retried = place_order.sync_detailed(client=customer, body=body, idempotency_key=key)

    assert placed.status_code == 201, placed.content
    order = placed.parsed
    assert isinstance(order, Order)
    assert (order.user_id, order.status, order.currency) == (signed_up.id, OrderStatus.PLACED, "USD")
    assert [(line.sku, line.quantity, line.unit_price_cents) for line in order.items] == [
        ("DEMO-MUG", 2, mug.price_cents)
    ]
    subtotal = 2 * mug.price_cents
    assert (order.subtotal_cents, order.discount_cents, order.total_cents) == (subtotal, 0, subtotal)
    assert order.cancelled_at is None
    assert retried.status_code == 201 and retried.headers["idempotency-replayed"] == "true"
    assert isinstance(retried.parsed, Order) and retried.parsed.id == order.id
    assert get_product.sync(client=anonymous, id=mug.id).stock == mug.stock - 2
    assert get_order.sync(client=customer, id=order.id).id == order.id


def test_an_order_beyond_the_stock_is_an_out_of_stock_problem(anonymous: Client, customer: AuthenticatedClient):
    pen = demo_product(anonymous, "DEMO-PEN")
    asked = pen.stock + 1

    answer = place_order.sync_detailed(
        client=customer, body=OrderRequest(items=[OrderRequestItem(product_id=pen.id, quantity=asked)])
    )

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.parsed
    assert isinstance(problem, Problem), answer.content
    assert (problem.code, problem.status, problem.type_) == ("out_of_stock", 409, "about:blank")
    assert (problem.product_id, problem.requested, problem.available) == (pen.id, asked, pen.stock)
    assert get_product.sync(client=anonymous, id=pen.id).stock == pen.stock
