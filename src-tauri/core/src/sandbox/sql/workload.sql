-- A workload that fills pg_stat_statements: each role runs what it would run in real life.
-- Statements are sent one by one as top-level statements (see sandbox.rs); `--@ role` lines switch role.
--@ alice
SELECT count(*) FROM sales.orders WHERE status = 'paid';
SELECT * FROM sales.order_totals ORDER BY total DESC LIMIT 10;
--@ bob
UPDATE sales.orders SET status = 'shipped' WHERE id = (SELECT max(id) FROM sales.orders WHERE status = 'paid');
SELECT id, name FROM sales.customers WHERE country = 'DE' LIMIT 20;
--@ carol
SELECT sum(amount) FROM billing.payments;
SELECT * FROM billing.monthly_revenue;
--@ reporting_svc
SELECT c.country, count(*) FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id GROUP BY 1;
--@ legacy_app
SELECT id, name FROM sales.customers WHERE id = 42;
--@ auditor
SELECT count(*) FROM billing.invoices;
