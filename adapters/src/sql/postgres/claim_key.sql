-- Remembers how the request under a key ended, unless the key is taken: $1 customer,
-- $2 key, $3 fingerprint, $4 outcome, $5 order id, $6 product id, $7 requested,
-- $8 available, $9 recorded at (ms). Like placing an order, it first locks the key for
-- this transaction; `key_free` is false while another request holds it (the caller
-- tries again), and `claimed` false when the key was used before.
WITH key_lock AS MATERIALIZED (
    SELECT pg_try_advisory_xact_lock(hashtextextended($1::uuid::text || ':' || $2::text, 0)) AS free
),
claim AS MATERIALIZED (
    INSERT INTO idempotency_keys (user_id, key, fingerprint, outcome, order_id, product_id, requested, available,
                                  created_at_ms)
    SELECT $1::uuid, $2::text, $3::text, $4::text, $5::uuid, $6::uuid, $7::int8, $8::int8, $9::int8
    FROM key_lock WHERE key_lock.free
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING 1
)
SELECT key_lock.free AS key_free, EXISTS (SELECT 1 FROM claim) AS claimed FROM key_lock
