-- The next moment each rate-limited channel may send, shared by every process on the database, so
-- that a channel's rate_limit holds in total however many processes send. Its size is the number
-- of channels. Unlogged: a moment taken need not wait for the disk, and after a crash the table
-- starts empty, which costs at most one burst.
CREATE UNLOGGED TABLE send_rates (
    channel text PRIMARY KEY,
    next_at timestamptz NOT NULL
);
