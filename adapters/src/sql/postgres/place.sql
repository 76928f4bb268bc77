-- Places an order that core decided, in one statement: one round trip, and in
-- autocommit one transaction, answered only once committed. Parameters:
--   $1 product ids, $2 quantities, $3 skus, $4 names, $5 unit prices, $6 line totals
--      (arrays in the order's line order); $7 customer; $8 the tier it was priced for;
--   $9 order id; $10 currency; $11 subtotal; $12 discount; $13 total; $14 created at;
--   $15 idempotency key (NULL: none); $16 its request fingerprint; $17 claimed at (ms);
--   $18 the id of its `order.placed` event; $19 an event id per line (line order), for
--   `product.out_of_stock` when the order takes that line's product's last units.
-- A key is first locked for this transaction (an advisory lock, released at commit);
-- when another placement holds it, nothing is done and `key_free` is false, and the
-- caller tries again. The order's products are then locked in id order, and the order
-- is placed only if the customer still has the tier, every line's product still has
-- its sku, name and price and enough stock, and the key, if any, was not used before.
-- Otherwise nothing changes, and the rows say what holds now: one per product, with
-- the customer's tier. Every column named here is checked against the migrated schema
-- by a test, so columns are written `table.column` or listed after `INSERT INTO table (...)`.
WITH key_lock AS MATERIALIZED (
    SELECT $15::text IS NULL OR pg_try_advisory_xact_lock(hashtextextended($7::uuid::text || ':' || $15::text, 0))
           AS free
),
wanted AS (
    SELECT line.id, line.quantity, line.sku, line.name, line.price, line.total, line.idx
    FROM unnest($1::uuid[], $2::int8[], $3::text[], $4::text[], $5::int8[], $6::int8[]) WITH ORDINALITY
         AS line(id, quantity, sku, name, price, total, idx)
),
locked AS MATERIALIZED (
    SELECT products.id, products.sku, products.name, products.price_cents, products.stock
    FROM products, key_lock
    WHERE key_lock.free AND products.id = ANY ($1::uuid[])
    ORDER BY products.id
    FOR UPDATE OF products
),
holds AS MATERIALIZED (
    SELECT key_lock.free
           AND coalesce((SELECT users.tier = $8::text FROM users WHERE users.id = $7::uuid), false)
           AND (SELECT count(*) FROM locked JOIN wanted ON locked.id = wanted.id
                WHERE locked.stock >= wanted.quantity AND locked.sku = wanted.sku AND locked.name = wanted.name
                  AND locked.price_cents = wanted.price) = cardinality($1::uuid[]) AS holds
    FROM key_lock
),
claim AS MATERIALIZED (
    INSERT INTO idempotency_keys (user_id, key, fingerprint, outcome, order_id, created_at_ms)
    SELECT $7::uuid, $15::text, $16::text, 'placed', $9::uuid, $17::int8 FROM holds WHERE holds.holds AND $15::text IS NOT NULL
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING 1
),
go AS MATERIALIZED (
    SELECT holds.holds AND ($15::text IS NULL OR EXISTS (SELECT 1 FROM claim)) AS go FROM holds
),
taken AS (
    UPDATE products SET stock = products.stock - wanted.quantity
    FROM wanted, go
    WHERE go.go AND products.id = wanted.id
    RETURNING products.id, products.sku, products.name, products.price_cents, products.stock, products.created_at,
              products.updated_at, wanted.idx
),
placed AS (
    INSERT INTO orders (id, user_id, status, currency, subtotal_cents, discount_cents, total_cents, created_at,
                        cancelled_at)
    SELECT $9::uuid, $7::uuid, 'placed', $10::text, $11::int8, $12::int8, $13::int8, $14::timestamptz, NULL
    FROM go WHERE go.go
    RETURNING orders.id
),
lines AS (
    INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
    SELECT placed.id, (wanted.idx - 1)::int4, wanted.id, wanted.sku, wanted.name, wanted.quantity, wanted.price,
           wanted.total
    FROM placed, wanted
),
recorded AS (
    INSERT INTO events (id, event_type, occurred_at, order_id, product_id, product_sku, product_name,
                        product_price_cents, product_stock, product_created_at, product_updated_at)
    SELECT $18::uuid, 'order.placed', $14::timestamptz, placed.id, NULL::uuid, NULL::text, NULL::text, NULL::int8,
           NULL::int8, NULL::timestamptz, NULL::timestamptz
    FROM placed
    UNION ALL
    SELECT ($19::uuid[])[taken.idx], 'product.out_of_stock', $14::timestamptz, NULL::uuid, taken.id, taken.sku,
           taken.name, taken.price_cents, taken.stock, taken.created_at, taken.updated_at
    FROM taken WHERE taken.stock = 0
)
SELECT go.go AS placed, key_lock.free AS key_free, holds.holds AND NOT go.go AS key_used,
       (SELECT users.tier::text FROM users WHERE users.id = $7::uuid) AS tier,
       locked.id AS product_id, locked.sku::text AS sku, locked.name::text AS name, locked.price_cents, locked.stock
FROM key_lock, holds, go LEFT JOIN locked ON NOT go.go
