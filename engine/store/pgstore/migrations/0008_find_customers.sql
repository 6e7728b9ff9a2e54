-- Finding a customer by email, as a person types it: an exact match that ignores case. (By id
-- prefix, the primary key serves: it is in the C collation, where LIKE 'prefix%' is a range.)
CREATE INDEX customers_email ON customers (lower(attrs->>'email')) WHERE attrs ? 'email';
