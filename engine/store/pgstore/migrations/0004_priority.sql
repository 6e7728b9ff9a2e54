-- A flow's priority on each of its messages (0 normal, 1 high, -1 low): when a frequency limit is
-- full, a message takes the place of a waiting one of lower priority. Messages written before
-- priorities existed are normal.
ALTER TABLE messages ADD COLUMN priority smallint NOT NULL DEFAULT 0;
