-- A flow's version covers the template files it names, and keeps them: a journey renders with the
-- templates of the version it entered with. A JSON list of {name, file, source}; null for the
-- versions stored before.
ALTER TABLE flow_versions ADD COLUMN templates json;

-- The last valid workspace an engine ran (its flows and templates are in flow_versions): a process
-- started while the files on disk have errors runs it. One row. events is a JSON list of the shop's
-- event type files, {file, source}; catalog is the product catalog's file.
CREATE TABLE last_workspace (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    saved_at      timestamptz NOT NULL,
    dir           text NOT NULL,
    settings_file text NOT NULL,
    settings      bytea NOT NULL,
    schema_file   text NOT NULL,
    schema        bytea,
    events        json NOT NULL,
    catalog_file  text NOT NULL,
    catalog       bytea,
    versions      text[] NOT NULL
);
