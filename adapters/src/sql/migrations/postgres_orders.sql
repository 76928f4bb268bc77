-- Placing and cancelling an order on PostgreSQL, each as one function called by one
-- statement: one round trip, and (in autocommit) answered only once committed. Core
-- decides the order; these check that what it was decided on still holds and write
-- it, all or nothing. Installed by migration m0002; a change comes as a new migration
-- that replaces them. Every column named here is checked against the migrated schema
-- by a test (tests/src/store_suite.rs, `the_order_functions_name_only_columns_that_exist`),
-- so columns are always written `table.column`
-- or listed after `INSERT INTO table (...)`. Text columns are `varchar`: rows returned
-- as `text` are cast.

-- Claims `p_key` for `p_user_id` with the outcome given, unless the key is taken.
-- While another transaction holds the key uncommitted, waits for its outcome for at
-- most `p_wait_ms` (then fails with SQLSTATE 55P03, lock_not_available). Returns the
-- row recorded under the key if it was taken, nothing if this call claimed it.
CREATE OR REPLACE FUNCTION orders_claim_key(
    p_user_id uuid, p_key text, p_fingerprint text, p_outcome text, p_order_id uuid, p_product_id uuid,
    p_requested bigint, p_available bigint, p_created_at_ms bigint, p_wait_ms integer)
RETURNS SETOF idempotency_keys
LANGUAGE plpgsql AS $$
DECLARE
    v_lock_timeout text := current_setting('lock_timeout');
    v_claimed integer;
BEGIN
    PERFORM set_config('lock_timeout', p_wait_ms::text, true);
    INSERT INTO idempotency_keys (user_id, key, fingerprint, outcome, order_id, product_id, requested, available,
                                  created_at_ms)
    VALUES (p_user_id, p_key, p_fingerprint, p_outcome, p_order_id, p_product_id, p_requested, p_available,
            p_created_at_ms)
    ON CONFLICT (user_id, key) DO NOTHING;
    GET DIAGNOSTICS v_claimed = ROW_COUNT;
    PERFORM set_config('lock_timeout', v_lock_timeout, true);
    IF v_claimed = 0 THEN
        RETURN QUERY SELECT * FROM idempotency_keys
                     WHERE idempotency_keys.user_id = p_user_id AND idempotency_keys.key = p_key;
    END IF;
END
$$;

-- Places an order decided by core: its row, its lines (arrays in line order), and, with
-- `p_key`, its idempotency key. Locks the order's products in id order, then places the
-- order only if the customer still has `p_tier` and every line's product still has the
-- line's sku, name and unit price and enough stock. Returns one row per outcome:
--   ('placed')                              the order is stored and the stock taken;
--   ('key_used', key columns...)            the key was used before: nothing changed;
--   ('customer', tier) + ('product', ...)   something changed: nothing changed, and
--                                           this is the customer's tier (NULL if no
--                                           such user) and each existing product now.
CREATE OR REPLACE FUNCTION orders_place(
    p_order_id uuid, p_user_id uuid, p_tier text, p_currency text,
    p_subtotal_cents bigint, p_discount_cents bigint, p_total_cents bigint, p_created_at timestamptz,
    p_product_ids uuid[], p_quantities bigint[], p_skus text[], p_names text[], p_unit_prices bigint[],
    p_line_totals bigint[],
    p_key text, p_fingerprint text, p_key_created_at_ms bigint, p_key_wait_ms integer)
RETURNS TABLE (kind text, product_id uuid, sku text, name text, price_cents bigint, stock bigint, tier text,
               key_fingerprint text, key_outcome text, key_order_id uuid, key_product_id uuid,
               key_requested bigint, key_available bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_key idempotency_keys;
    v_holding integer;
    v_tier_holds boolean;
BEGIN
    IF p_key IS NOT NULL THEN
        SELECT * INTO v_key FROM orders_claim_key(p_user_id, p_key, p_fingerprint, 'placed', p_order_id, NULL, NULL,
                                                  NULL, p_key_created_at_ms, p_key_wait_ms);
        IF FOUND THEN
            RETURN QUERY SELECT 'key_used'::text, NULL::uuid, NULL::text, NULL::text, NULL::bigint, NULL::bigint,
                                NULL::text, v_key.fingerprint::text, v_key.outcome::text, v_key.order_id,
                                v_key.product_id,
                                v_key.requested, v_key.available;
            RETURN;
        END IF;
    END IF;

    PERFORM 1 FROM products WHERE products.id = ANY (p_product_ids) ORDER BY products.id FOR UPDATE;
    SELECT count(*) INTO v_holding
    FROM products
    JOIN unnest(p_product_ids, p_quantities, p_skus, p_names, p_unit_prices) AS line(id, quantity, sku, name, price)
      ON products.id = line.id
    WHERE products.stock >= line.quantity AND products.sku = line.sku AND products.name = line.name
      AND products.price_cents = line.price;
    SELECT users.tier = p_tier INTO v_tier_holds FROM users WHERE users.id = p_user_id;

    IF v_holding <> cardinality(p_product_ids) OR v_tier_holds IS NOT TRUE THEN
        IF p_key IS NOT NULL THEN
            DELETE FROM idempotency_keys WHERE idempotency_keys.user_id = p_user_id AND idempotency_keys.key = p_key;
        END IF;
        RETURN QUERY SELECT 'customer'::text, NULL::uuid, NULL::text, NULL::text, NULL::bigint, NULL::bigint,
                            (SELECT users.tier::text FROM users WHERE users.id = p_user_id), NULL::text, NULL::text,
                            NULL::uuid, NULL::uuid, NULL::bigint, NULL::bigint;
        RETURN QUERY SELECT 'product'::text, products.id, products.sku::text, products.name::text, products.price_cents,
                            products.stock, NULL::text, NULL::text, NULL::text, NULL::uuid, NULL::uuid,
                            NULL::bigint, NULL::bigint
                     FROM products WHERE products.id = ANY (p_product_ids);
        RETURN;
    END IF;

    UPDATE products SET stock = products.stock - line.quantity
    FROM unnest(p_product_ids, p_quantities) AS line(id, quantity)
    WHERE products.id = line.id;
    INSERT INTO orders (id, user_id, status, currency, subtotal_cents, discount_cents, total_cents, created_at,
                        cancelled_at)
    VALUES (p_order_id, p_user_id, 'placed', p_currency, p_subtotal_cents, p_discount_cents, p_total_cents,
            p_created_at, NULL);
    INSERT INTO order_lines (order_id, line_no, product_id, sku, name, quantity, unit_price_cents, line_total_cents)
    SELECT p_order_id, (line.idx - 1)::integer, line.id, line.sku, line.name, line.quantity, line.price, line.total
    FROM unnest(p_product_ids, p_quantities, p_skus, p_names, p_unit_prices, p_line_totals)
         WITH ORDINALITY AS line(id, quantity, sku, name, price, total, idx);
    RETURN QUERY SELECT 'placed'::text, NULL::uuid, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text,
                        NULL::text, NULL::text, NULL::uuid, NULL::uuid, NULL::bigint, NULL::bigint;
END
$$;

-- Cancels a placed order: marks it cancelled at `p_at` and gives each line's quantity
-- back to stock, locking the products in id order. Returns whether it was placed (if
-- not, nothing changed).
CREATE OR REPLACE FUNCTION orders_cancel(p_order_id uuid, p_at timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE orders SET status = 'cancelled', cancelled_at = p_at
    WHERE orders.id = p_order_id AND orders.status = 'placed';
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM products
    WHERE products.id IN (SELECT order_lines.product_id FROM order_lines WHERE order_lines.order_id = p_order_id)
    ORDER BY products.id FOR UPDATE;
    UPDATE products SET stock = products.stock + order_lines.quantity
    FROM order_lines
    WHERE order_lines.order_id = p_order_id AND products.id = order_lines.product_id;
    RETURN true;
END
$$;
