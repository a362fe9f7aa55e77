-- One thread as version 1 of the agent stored it (schema_version 1), before a ToolRequested's
-- arguments were kept as JSON text: here they are a JSON object. Aisha asked where her jacket is.
-- Load it into a shop with store().executescript(Path("thread_v1.sql").read_text()).

CREATE TABLE IF NOT EXISTS threads (
    id             TEXT PRIMARY KEY,
    ticket         TEXT NOT NULL,      -- the Ticket, as JSON
    schema_version INTEGER NOT NULL,   -- the version that wrote its events
    created_on     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    thread_id TEXT NOT NULL REFERENCES threads (id),
    seq       INTEGER NOT NULL,        -- the event's position in its thread: 0, 1, 2 ...
    kind      TEXT NOT NULL,           -- event.kind: "ticket", "tool_call", "finished" ...
    data      TEXT NOT NULL,           -- the event, as JSON
    PRIMARY KEY (thread_id, seq)
);

INSERT INTO threads (id, ticket, schema_version, created_on) VALUES
    ('ticket-505-1', '{"ticket_id":505,"customer_email":"aisha.karim@example.com","customer_name":"Aisha Karim","subject":"Where is my order?","body":"Hi!\n\nI ordered the packable rain jacket almost a week ago (order 1077). The confirmation said it had\nshipped, but I haven''t had any update since. I''m going hiking the weekend after next and I really\nneed it by then. Can you tell me where it is and when it will arrive?\n\nThanks so much,\nAisha","history":[]}', 1, '2026-11-02');
INSERT INTO events (thread_id, seq, kind, data) VALUES
    ('ticket-505-1', 0, 'ticket', '{"kind":"ticket","subject":"Where is my order?","body":"Hi!\n\nI ordered the packable rain jacket almost a week ago (order 1077). The confirmation said it had\nshipped, but I haven''t had any update since. I''m going hiking the weekend after next and I really\nneed it by then. Can you tell me where it is and when it will arrive?\n\nThanks so much,\nAisha","customer_email":"aisha.karim@example.com"}'),
    ('ticket-505-1', 1, 'tool_call', '{"kind":"tool_call","name":"track_shipment","arguments":{"order_id":1077}}'),
    ('ticket-505-1', 2, 'tool_result', '{"kind":"tool_result","name":"track_shipment","result":"{\"order_id\":1077,\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\",\"status\":\"in_transit\",\"shipped_on\":\"2026-10-29\",\"eta\":\"2026-11-05\",\"delivered_on\":null}"}'),
    ('ticket-505-1', 3, 'tool_call', '{"kind":"tool_call","name":"send_message","arguments":{"body":"Hi there,\n\nThanks for checking in. Your order 1077 is on its way with UPS (tracking number 1Z999AA10123456784), and it is expected to arrive on 2026-11-05.\n\nBrightside Goods support"}}'),
    ('ticket-505-1', 4, 'tool_result', '{"kind":"tool_result","name":"send_message","result":"{\"message_id\":1,\"customer_email\":\"aisha.karim@example.com\",\"body\":\"Hi there,\\n\\nThanks for checking in. Your order 1077 is on its way with UPS (tracking number 1Z999AA10123456784), and it is expected to arrive on 2026-11-05.\\n\\nBrightside Goods support\",\"sent_on\":\"2026-11-02\"}"}'),
    ('ticket-505-1', 5, 'finished', '{"kind":"finished","summary":"Told the customer where order 1077 is (in_transit)."}');
