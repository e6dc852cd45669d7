-- The shop database: a few application schemas and an archive schema with 2,000 tables.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;

CREATE SCHEMA sales;
CREATE SCHEMA inventory;
CREATE SCHEMA billing AUTHORIZATION finance;
CREATE SCHEMA archive;
COMMENT ON SCHEMA sales IS 'Customers and orders';
COMMENT ON SCHEMA inventory IS 'Products and stock';
COMMENT ON SCHEMA billing IS 'Invoices and payments (owned by finance)';
COMMENT ON SCHEMA archive IS 'Monthly order archives, one table per month and region';

CREATE TABLE sales.customers (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    email      text UNIQUE,
    country    text NOT NULL DEFAULT 'NL',
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sales.customers IS 'Everyone who ever ordered';
COMMENT ON COLUMN sales.customers.email IS 'Personal data';

CREATE TABLE sales.orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES sales.customers (id),
    ordered_at  timestamptz NOT NULL DEFAULT now(),
    status      text NOT NULL DEFAULT 'new'
);
CREATE TABLE sales.order_items (
    order_id   bigint NOT NULL REFERENCES sales.orders (id),
    product_id bigint NOT NULL,
    quantity   int NOT NULL CHECK (quantity > 0),
    unit_price numeric(12, 2) NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE TABLE sales.events (
    id          bigserial,
    happened_at timestamptz NOT NULL,
    kind        text NOT NULL,
    payload     jsonb
) PARTITION BY RANGE (happened_at);
DO $$
BEGIN
    FOR m IN 1..12 LOOP
        EXECUTE format(
            'CREATE TABLE sales.events_2026_%s PARTITION OF sales.events FOR VALUES FROM (%L) TO (%L)',
            lpad(m::text, 2, '0'),
            make_date(2026, m, 1),
            make_date(2026, m, 1) + interval '1 month');
    END LOOP;
END $$;
COMMENT ON TABLE sales.events IS 'Click stream, partitioned by month';

CREATE VIEW sales.order_totals AS
    SELECT o.id, o.customer_id, sum(i.quantity * i.unit_price) AS total
      FROM sales.orders o JOIN sales.order_items i ON i.order_id = o.id
     GROUP BY o.id, o.customer_id;
COMMENT ON VIEW sales.order_totals IS 'Order value per order';

CREATE TABLE inventory.warehouses (id serial PRIMARY KEY, city text NOT NULL);
CREATE TABLE inventory.products (
    id    bigserial PRIMARY KEY,
    sku   text NOT NULL UNIQUE,
    name  text NOT NULL,
    price numeric(12, 2) NOT NULL
);
CREATE TABLE inventory.stock (
    warehouse_id int NOT NULL REFERENCES inventory.warehouses (id),
    product_id   bigint NOT NULL REFERENCES inventory.products (id),
    on_hand      int NOT NULL DEFAULT 0,
    PRIMARY KEY (warehouse_id, product_id)
);

SET ROLE finance;
CREATE TABLE billing.invoices (
    id          bigserial PRIMARY KEY,
    order_id    bigint NOT NULL,
    amount      numeric(12, 2) NOT NULL,
    issued_at   date NOT NULL DEFAULT current_date,
    iban        text
);
COMMENT ON COLUMN billing.invoices.iban IS 'Bank account: restricted';
CREATE TABLE billing.payments (
    id         bigserial PRIMARY KEY,
    invoice_id bigint NOT NULL REFERENCES billing.invoices (id),
    paid_at    timestamptz NOT NULL DEFAULT now(),
    amount     numeric(12, 2) NOT NULL
);
CREATE SEQUENCE billing.invoice_number_seq START 10000;
CREATE MATERIALIZED VIEW billing.monthly_revenue AS
    SELECT date_trunc('month', issued_at) AS month, sum(amount) AS revenue
      FROM billing.invoices GROUP BY 1;
RESET ROLE;

-- Sample data.
INSERT INTO sales.customers (name, email, country)
SELECT 'Customer ' || g, 'customer' || g || '@example.com', (ARRAY['NL', 'DE', 'FR', 'BE'])[1 + g % 4]
  FROM generate_series(1, 5000) g;
INSERT INTO inventory.warehouses (city) VALUES ('Amsterdam'), ('Rotterdam'), ('Berlin');
INSERT INTO inventory.products (sku, name, price)
SELECT 'SKU-' || g, 'Product ' || g, (g % 97) + 0.99 FROM generate_series(1, 800) g;
INSERT INTO inventory.stock SELECT w, p, (w * p) % 50 FROM generate_series(1, 3) w, generate_series(1, 800) p;
INSERT INTO sales.orders (customer_id, ordered_at, status)
SELECT 1 + g % 5000, timestamptz '2026-01-01' + (g % 300) * interval '1 day', (ARRAY['new', 'paid', 'shipped'])[1 + g % 3]
  FROM generate_series(1, 20000) g;
INSERT INTO sales.order_items SELECT o, 1 + o % 800, 1 + o % 5, 9.99 FROM generate_series(1, 20000) o;
INSERT INTO sales.events (happened_at, kind)
SELECT timestamptz '2026-01-01' + (g % 360) * interval '1 day', 'view' FROM generate_series(1, 10000) g;
INSERT INTO billing.invoices (order_id, amount, issued_at)
SELECT g, 10 + g % 90, date '2026-01-01' + g % 300 FROM generate_series(1, 8000) g;
INSERT INTO billing.payments (invoice_id, amount) SELECT g, 10 + g % 90 FROM generate_series(1, 6000) g;
REFRESH MATERIALIZED VIEW billing.monthly_revenue;

-- 2,000 archive tables: enough to feel a big schema.
DO $$
DECLARE
    regions text[] := ARRAY['emea', 'amer', 'apac', 'latam'];
BEGIN
    FOR y IN 2016..2025 LOOP
        FOR m IN 1..12 LOOP
            FOR r IN 1..4 LOOP
                EXECUTE format(
                    'CREATE TABLE archive.%I (id bigint PRIMARY KEY, customer_id bigint, total numeric(12,2), ordered_at timestamptz)',
                    format('orders_%s_%s_%s', y, lpad(m::text, 2, '0'), regions[r]));
            END LOOP;
        END LOOP;
    END LOOP;
    FOR i IN 1..1520 LOOP
        EXECUTE format('CREATE TABLE archive.%I (id bigint, note text)', 'audit_chunk_' || lpad(i::text, 4, '0'));
    END LOOP;
END $$;
COMMENT ON TABLE archive.orders_2025_12_emea IS 'Last archived month';

-- Access.
REVOKE ALL ON DATABASE shop FROM PUBLIC;
GRANT CONNECT ON DATABASE shop TO app_readonly, analysts, finance, legacy_app, monitoring, auditor;
GRANT TEMPORARY ON DATABASE shop TO data_engineers;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA sales, inventory TO app_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA sales, inventory TO app_readonly;
GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA sales, inventory TO app_readwrite;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA sales, inventory TO app_readwrite;
GRANT TRUNCATE ON sales.events TO data_engineers WITH GRANT OPTION;
GRANT USAGE ON SCHEMA sales TO analysts;
GRANT SELECT ON sales.order_totals, sales.orders TO analysts;
GRANT USAGE ON SCHEMA archive TO analysts;
GRANT SELECT ON ALL TABLES IN SCHEMA archive TO analysts;
GRANT USAGE ON SCHEMA sales TO legacy_app;
GRANT SELECT (id, name, country), UPDATE (country) ON sales.customers TO legacy_app;
SET ROLE finance;
GRANT USAGE ON SCHEMA billing TO app_readonly;
GRANT SELECT ON billing.monthly_revenue TO analysts;
GRANT USAGE ON SCHEMA billing TO analysts;
GRANT SELECT (id, order_id, amount, issued_at) ON billing.invoices TO app_readonly;
GRANT USAGE, SELECT ON SEQUENCE billing.invoice_number_seq TO app_readwrite;
RESET ROLE;
ALTER DEFAULT PRIVILEGES IN SCHEMA sales GRANT SELECT ON TABLES TO app_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE finance IN SCHEMA billing GRANT SELECT ON TABLES TO analysts;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE FUNCTION sales.customer_count() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM sales.customers';
GRANT EXECUTE ON FUNCTION sales.customer_count() TO app_readonly;

ANALYZE;
