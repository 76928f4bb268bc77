-- Records a round's delivery attempts in one statement whose text never changes, so
-- that each connection prepares and plans it once (a multi-row INSERT has a text, and a
-- plan, for every number of rows). One row per element of the arrays, in order:
--   $1 ids, $2 webhook ids, $3 event ids, $4 event types, $5 event txids, $6 event seqs,
--   $7 attempted at, $8 HTTP statuses (0: no answer), $9 errors ('': none),
--   $10 latencies in ms, $11 next retry times (the Unix epoch: none).
-- Arrays are bound without NULLs, hence the stand-ins. Every column named here is
-- checked against the migrated schema by a test.
INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, event_txid, event_seq, attempted_at,
                                status_code, error, latency_ms, next_retry_at)
SELECT attempt.id, attempt.webhook_id, attempt.event_id, attempt.event_type, attempt.event_txid, attempt.event_seq,
       attempt.attempted_at, NULLIF(attempt.status_code, 0), NULLIF(attempt.error, ''), attempt.latency_ms,
       NULLIF(attempt.next_retry_at, 'epoch'::timestamptz)
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int8[], $6::int8[], $7::timestamptz[], $8::int4[],
            $9::text[], $10::int8[], $11::timestamptz[])
     AS attempt(id, webhook_id, event_id, event_type, event_txid, event_seq, attempted_at, status_code, error,
                latency_ms, next_retry_at)
