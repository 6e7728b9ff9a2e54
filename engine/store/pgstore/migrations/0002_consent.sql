-- Consent per channel with when and which event set it, in a column of its own: consent is decided
-- by event time, so a late event never undoes a newer answer. Each channel holds
-- {"granted": true|false|null, "at": time, "event": id, "type": event type}. json, not jsonb: the
-- engine alone reads it, whole.
ALTER TABLE customers ADD COLUMN consent json;

-- Consent recorded before this column has no known moment: it counts as given or withdrawn now, so
-- that no event older than this upgrade can undo it.
UPDATE customers c SET consent = m.consent, attrs = c.attrs - 'consent'
FROM (
    SELECT id, json_object_agg(ch.key, json_build_object('granted', ch.value, 'at', now(), 'event', '', 'type', '')) AS consent
    FROM customers, jsonb_each(attrs -> 'consent') AS ch
    WHERE jsonb_typeof(attrs -> 'consent') = 'object' AND jsonb_typeof(ch.value) IN ('boolean', 'null')
    GROUP BY id
) m
WHERE c.id = m.id;

-- What is left under attrs.consent (not an object, or nothing that reads as consent) is dropped.
UPDATE customers SET attrs = attrs - 'consent' WHERE attrs ? 'consent';
