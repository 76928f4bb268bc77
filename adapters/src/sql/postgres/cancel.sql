-- Cancels a placed order in one statement: marks it cancelled at $2, gives each
-- line's quantity back to stock, locking the products in id order (as placing does,
-- so the two cannot deadlock), and records the `order.cancelled` event $3. `cancelled` is false, and nothing changes, when order
-- $1 is not placed (of concurrent cancellations, one finds it placed).
WITH target AS MATERIALIZED (
    UPDATE orders SET status = 'cancelled', cancelled_at = $2::timestamptz
    WHERE orders.id = $1::uuid AND orders.status = 'placed'
    RETURNING orders.id
),
locked AS MATERIALIZED (
    SELECT products.id
    FROM products
    WHERE products.id IN (SELECT order_lines.product_id FROM order_lines, target
                          WHERE order_lines.order_id = target.id)
    ORDER BY products.id
    FOR UPDATE OF products
),
returned AS (
    UPDATE products SET stock = products.stock + order_lines.quantity
    FROM order_lines, target
    WHERE order_lines.order_id = target.id AND products.id = order_lines.product_id
      AND (SELECT count(*) FROM locked) > 0
),
recorded AS (
    INSERT INTO events (id, event_type, occurred_at, order_id)
    SELECT $3::uuid, 'order.cancelled', $2::timestamptz, target.id FROM target
)
SELECT EXISTS (SELECT 1 FROM target) AS cancelled
