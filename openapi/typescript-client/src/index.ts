/**
 * The order service's TypeScript client: openapi-fetch over the types that
 * openapi-typescript generates from `openapi/openapi.json` into `./schema.ts`
 * (`npm run generate`; never committed).
 *
 * Every call is typed by its path and method (`client.POST("/v1/orders", …)`, which is
 * the spec's `operations["placeOrder"]`): path, query and header parameters such as
 * `Idempotency-Key`, the request body, the success body as `data` and, for any error
 * status, the RFC 9457 {@link Problem} as `error` (branch on `error.code`). Calls never
 * throw for an HTTP status; only a network failure rejects.
 *
 * This module adds only {@link createOrdersClient}, {@link login} (the OAuth2 password
 * grant, form-encoded, whose token later calls carry as `Authorization: Bearer`) and
 * names for the schemas.
 *
 * @module
 */

import createClient, { type Client, type ClientOptions, type FetchResponse, type Middleware } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

/** A client of the whole API, typed by the spec's paths. */
export type OrdersClient = Client<paths>;

/**
 * What a call of the operation `Id` (an `operationId`, such as `"placeOrder"`) resolves
 * to: `{ data, response }` on success, `{ error, response }` with a `Problem` otherwise.
 */
export type Answer<Id extends keyof operations> = FetchResponse<operations[Id], unknown, `${string}/${string}`>;

/** An error answer (RFC 9457 problem details); `code` is the stable part. */
export type Problem = components["schemas"]["Problem"];
export type FieldError = components["schemas"]["FieldError"];
export type Token = components["schemas"]["Token"];
export type TokenRequest = components["schemas"]["TokenRequest"];
export type User = components["schemas"]["User"];
export type Registration = components["schemas"]["Registration"];
export type Product = components["schemas"]["Product"];
export type ProductPage = components["schemas"]["ProductPage"];
export type Order = components["schemas"]["Order"];
export type OrderPage = components["schemas"]["OrderPage"];
export type OrderRequest = components["schemas"]["OrderRequest"];

/** A client of the server at `baseUrl` (such as `http://127.0.0.1:8080`), signed out. */
export function createOrdersClient(baseUrl: string, options: Omit<ClientOptions, "baseUrl"> = {}): OrdersClient {
  return createClient<paths>({ ...options, baseUrl });
}

/** The bearer middleware `login` installed on each client, replaced by the next login. */
const bearers = new WeakMap<OrdersClient, Middleware>();

/**
 * Logs in with `POST /v1/auth/token` (e-mail as `username`) and, on success, makes every
 * later request of `client` carry the token. Answers like any call: the `Token` as `data`,
 * or a `Problem` as `error` (`invalid_credentials`, `too_many_attempts`, …), in which
 * case the client keeps the token it had.
 */
export async function login(
  client: OrdersClient,
  username: string,
  password: string,
): Promise<Answer<"issueToken">> {
  const answer = await client.POST("/v1/auth/token", {
    body: { grant_type: "password", username, password },
    // openapi-fetch's default body serializer sends a form when told this content type.
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (answer.data !== undefined) {
    const authorization = `Bearer ${answer.data.access_token}`;
    const bearer: Middleware = {
      onRequest({ request }) {
        request.headers.set("Authorization", authorization);
        return request;
      },
    };
    const previous = bearers.get(client);
    if (previous !== undefined) client.eject(previous);
    client.use(bearer);
    bearers.set(client, bearer);
  }
  return answer;
}
