/**
 * The TypeScript client against a running orders-server started with `--demo` at
 * `ORDERS_URL`: log in as the demo customer, page through the products with a cursor,
 * place an order under an `Idempotency-Key` and replay it, read a 409 `out_of_stock` as a
 * typed `Problem`, and cancel an order. Run by `npm test` (tests/typescript/run.sh).
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, test } from "node:test";

import {
  createOrdersClient,
  login,
  type Order,
  type OrdersClient,
  type Problem,
  type Product,
  type Token,
  type User,
} from "../src/index.js";

const BASE_URL = process.env["ORDERS_URL"];
if (!BASE_URL) {
  throw new Error("ORDERS_URL must name a running orders-server started with --demo (tests/typescript/run.sh sets it)");
}

// The demo customer that `orders-server --demo` creates (apps/orders-server/src/demo.rs): premium.
const CUSTOMER_EMAIL = "customer@example.com";
const CUSTOMER_PASSWORD = "customer-password";
const DEMO_SKUS = ["DEMO-MUG", "DEMO-TEE", "DEMO-LAMP", "DEMO-PEN"];

/** Compiles only if `T` is exactly `Expected`: the tests' checks of the generated types. */
function exactly<T, Expected>(..._proof: [T] extends [Expected] ? ([Expected] extends [T] ? [] : [never]) : [never]): void {}

const anonymous = createOrdersClient(BASE_URL);
const customer = createOrdersClient(BASE_URL);

before(async () => {
  const { data, error } = await login(customer, CUSTOMER_EMAIL, CUSTOMER_PASSWORD);
  assert.equal(error, undefined, `the demo customer cannot log in: ${JSON.stringify(error)}`);
  assert.ok(data);
});

/** Every product, read `limit` at a time by following `next_cursor`. */
async function allProducts(limit: number): Promise<{ products: Product[]; pages: number }> {
  const products: Product[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const { data, error } = await anonymous.GET("/v1/products", { params: { query: { limit, cursor } } });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.ok(data);
    pages += 1;
    assert.ok(data.items.length <= limit, `page ${pages} has ${data.items.length} products, over the limit ${limit}`);
    products.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return { products, pages };
}

async function demoProduct(sku: string): Promise<Product> {
  const product = (await allProducts(100)).products.find((candidate) => candidate.sku === sku);
  assert.ok(product, `no demo product ${sku}: was the server started with --demo?`);
  return product;
}

async function stockOf(id: string): Promise<number> {
  const { data, error } = await anonymous.GET("/v1/products/{id}", { params: { path: { id } } });
  assert.equal(error, undefined, JSON.stringify(error));
  assert.ok(data);
  return data.stock;
}

test("the demo customer logs in with the password grant and is a premium customer", async () => {
  const client = createOrdersClient(BASE_URL);
  const { data: token, error, response } = await login(client, CUSTOMER_EMAIL, CUSTOMER_PASSWORD);
  exactly<typeof token, Token | undefined>();

  assert.equal(response.status, 200, JSON.stringify(error));
  assert.ok(token);
  assert.equal(token.token_type, "bearer");
  assert.ok(token.expires_in > 0);

  const me = await client.GET("/v1/users/me");
  exactly<typeof me.data, User | undefined>();
  assert.equal(me.error, undefined, JSON.stringify(me.error));
  assert.equal(me.data?.email, CUSTOMER_EMAIL);
  assert.equal(me.data?.tier, "premium");
  assert.equal(me.data?.role, "customer");
});

test("wrong credentials and a missing token are typed 401 problems", async () => {
  const client = createOrdersClient(BASE_URL);
  const refused = await login(client, `nobody-${randomUUID()}@example.com`, "not-the-password");
  exactly<typeof refused.error, Problem | undefined>();
  assert.equal(refused.response.status, 401);
  assert.equal(refused.error?.code, "invalid_credentials");
  assert.equal(refused.error?.status, 401);

  const me = await client.GET("/v1/users/me");
  assert.equal(me.response.status, 401);
  assert.equal(me.error?.code, "unauthenticated");
  assert.equal(me.response.headers.get("WWW-Authenticate"), "Bearer");
});

test("the products are listed page by page by following next_cursor", async () => {
  const { products, pages } = await allProducts(2);

  assert.ok(pages >= 2, `${products.length} products came in ${pages} page(s) of 2`);
  const skus = products.map((product) => product.sku);
  assert.equal(new Set(skus).size, skus.length, `a product came twice: ${skus.join(", ")}`);
  for (const sku of DEMO_SKUS) assert.ok(skus.includes(sku), `${sku} is missing from ${skus.join(", ")}`);
  const everything = await allProducts(100);
  assert.deepEqual(skus, everything.products.map((product) => product.sku));
});

test("an order placed under an Idempotency-Key is replayed, not placed again, on retry", async () => {
  const mug = await demoProduct("DEMO-MUG");
  const key = randomUUID();
  const place = () =>
    customer.POST("/v1/orders", {
      params: { header: { "Idempotency-Key": key } },
      body: { items: [{ product_id: mug.id, quantity: 2 }] },
    });

  const placed = await place();
  const retried = await place();

  exactly<typeof placed.data, Order | undefined>();
  assert.equal(placed.response.status, 201, JSON.stringify(placed.error));
  assert.ok(placed.data);
  const order = placed.data;
  assert.equal(placed.response.headers.get("Location"), `/v1/orders/${order.id}`);
  assert.equal(placed.response.headers.get("Idempotency-Replayed"), null);
  assert.equal(order.status, "placed");
  assert.deepEqual(
    order.items.map((line) => [line.sku, line.quantity, line.unit_price_cents]),
    [["DEMO-MUG", 2, mug.price_cents]],
  );
  const subtotal = 2 * mug.price_cents;
  const discount = Math.floor((subtotal + 5) / 10); // premium: 10% off, rounded half up
  assert.deepEqual(
    [order.subtotal_cents, order.discount_cents, order.total_cents],
    [subtotal, discount, subtotal - discount],
  );

  assert.equal(retried.response.status, 201, JSON.stringify(retried.error));
  assert.equal(retried.response.headers.get("Idempotency-Replayed"), "true");
  assert.equal(retried.data?.id, order.id);
  assert.deepEqual(retried.data, order);
  assert.equal(await stockOf(mug.id), mug.stock - 2, "the retry took stock again");
});

test("an order beyond the stock is a 409 out_of_stock problem, read as a typed value", async () => {
  const pen = await demoProduct("DEMO-PEN");
  const asked = pen.stock + 1;

  const { data, error, response } = await customer.POST("/v1/orders", {
    params: { header: { "Idempotency-Key": randomUUID() } },
    body: { items: [{ product_id: pen.id, quantity: asked }] },
  });

  assert.equal(data, undefined);
  assert.equal(response.status, 409);
  assert.equal(response.headers.get("Content-Type"), "application/problem+json");
  assert.ok(error);
  const problem: Problem = error;
  assert.equal(problem.code, "out_of_stock");
  assert.equal(problem.status, 409);
  assert.equal(problem.type, "about:blank");
  assert.deepEqual([problem.product_id, problem.requested, problem.available], [pen.id, asked, pen.stock]);
  assert.equal(await stockOf(pen.id), pen.stock);
});

test("cancelling an order returns its stock, and a second cancel is a 409 problem", async () => {
  const lamp = await demoProduct("DEMO-LAMP");
  const placed = await customer.POST("/v1/orders", { body: { items: [{ product_id: lamp.id, quantity: 1 }] } });
  assert.equal(placed.response.status, 201, JSON.stringify(placed.error));
  assert.ok(placed.data);
  assert.equal(await stockOf(lamp.id), lamp.stock - 1);
  const id = placed.data.id;

  const cancelled = await customer.POST("/v1/orders/{id}/cancel", { params: { path: { id } } });

  assert.equal(cancelled.response.status, 200, JSON.stringify(cancelled.error));
  assert.equal(cancelled.data?.id, id);
  assert.equal(cancelled.data?.status, "cancelled");
  assert.ok(cancelled.data?.cancelled_at);
  assert.equal(await stockOf(lamp.id), lamp.stock);

  const again = await customer.POST("/v1/orders/{id}/cancel", { params: { path: { id } } });
  assert.equal(again.response.status, 409);
  assert.equal(again.error?.code, "order_not_cancellable");
  const read = await customer.GET("/v1/orders/{id}", { params: { path: { id } } });
  assert.equal(read.data?.status, "cancelled");
});
