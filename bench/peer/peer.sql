-- The customer stats Rolodex's API computes, as SQL functions PostGraphile exposes as
-- computed columns, in a schema of their own ("peer"): dropped and made again on each
-- `make bench-peer`, so the bench database's own tables are never changed.
DROP SCHEMA IF EXISTS peer CASCADE;
CREATE SCHEMA peer;

-- Cents as the API's decimal strings ("1234.50").
CREATE FUNCTION peer.money(cents bigint) RETURNS numeric
  LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT round(cents::numeric / 100, 2) $$;
COMMENT ON FUNCTION peer.money(bigint) IS E'@behavior -*';

CREATE TYPE peer.balance AS (
  total_invoiced numeric, total_paid numeric, current_balance numeric, overdue_amount numeric
);
CREATE TYPE peer.address AS (
  line1 text, line2 text, city text, region text, postal_code text, country text
);

CREATE FUNCTION peer.company_today(company_id int) RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (now() AT TIME ZONE timezone)::date FROM public.companies WHERE id = company_id
$$;
COMMENT ON FUNCTION peer.company_today(int) IS E'@behavior -*';

CREATE FUNCTION peer.customers_total_sales(c public.customers) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(c.total_sales_cents) $$;

CREATE FUNCTION peer.customers_discount_percent(c public.customers) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(c.discount_bp) $$;

-- Whole cents, half up, as resolvers/customers.py average_order_cents.
CREATE FUNCTION peer.customers_average_order_total(c public.customers) RETURNS numeric
  LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN c.order_count > 0 THEN
    peer.money((c.total_sales_cents * 2 + c.order_count) / (c.order_count * 2)) END
$$;

-- ENGAGED: an order at or after the start of the company's day 365 days ago.
CREATE FUNCTION peer.customers_engagement(c public.customers) RETURNS text
  LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN c.last_order_at IS NULL THEN 'NEVER_ORDERED'
    WHEN c.last_order_at >= ((now() AT TIME ZONE co.timezone)::date - 365)::timestamp
      AT TIME ZONE co.timezone THEN 'ENGAGED'
    ELSE 'LAPSED' END
  FROM public.companies co WHERE co.id = c.company_id
$$;

CREATE FUNCTION peer.customers_balance(c public.customers) RETURNS peer.balance
  LANGUAGE sql STABLE AS $$
  SELECT peer.money(c.total_sales_cents), peer.money(c.total_paid_cents),
    peer.money(c.balance_cents), peer.money(coalesce((
      SELECT sum(o.balance_due_cents) FROM public.orders o
      WHERE o.customer_id = c.id AND o.balance_due_cents > 0
        AND o.due_date < peer.company_today(c.company_id)), 0)::bigint)
$$;

CREATE FUNCTION peer.customers_billing_address(c public.customers) RETURNS peer.address
  LANGUAGE sql STABLE AS $$
  SELECT c.billing_line1, c.billing_line2, c.billing_city, c.billing_region,
    c.billing_postal_code, c.billing_country
  WHERE coalesce(c.billing_line1, c.billing_line2, c.billing_city, c.billing_region,
    c.billing_postal_code, c.billing_country) IS NOT NULL
$$;

CREATE FUNCTION peer.customers_primary_contact(c public.customers) RETURNS public.contacts
  LANGUAGE sql STABLE AS $$
  SELECT * FROM public.contacts p WHERE p.customer_id = c.id AND p.is_primary
  ORDER BY p.id LIMIT 1
$$;

-- The location's own rep, else its customer's.
CREATE FUNCTION peer.locations_effective_sales_rep(l public.locations) RETURNS public.staff
  LANGUAGE sql STABLE AS $$
  SELECT s.* FROM public.staff s WHERE s.id = coalesce(l.sales_rep_id,
    (SELECT c.sales_rep_id FROM public.customers c WHERE c.id = l.customer_id))
$$;

CREATE FUNCTION peer.locations_total_sales(l public.locations) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(l.total_sales_cents) $$;

CREATE FUNCTION peer.orders_total(o public.orders) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(o.total_cents) $$;
CREATE FUNCTION peer.orders_amount_paid(o public.orders) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(o.paid_cents) $$;
CREATE FUNCTION peer.orders_balance_due(o public.orders) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(o.balance_due_cents) $$;
CREATE FUNCTION peer.order_lines_unit_price(l public.order_lines) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(l.unit_price_cents) $$;
CREATE FUNCTION peer.order_lines_line_total(l public.order_lines) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(l.line_total_cents) $$;
CREATE FUNCTION peer.transactions_amount(t public.transactions) RETURNS numeric
  LANGUAGE sql STABLE AS $$ SELECT peer.money(t.amount_cents) $$;
CREATE FUNCTION peer.transaction_allocations_amount(a public.transaction_allocations)
  RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT peer.money(a.amount_cents) $$;

-- The signed-in staff member for a bearer token, as Rolodex checks it on every request.
CREATE FUNCTION peer.me(token text) RETURNS public.staff LANGUAGE sql STABLE AS $$
  SELECT s.* FROM public.auth_tokens t JOIN public.staff s ON s.id = t.staff_id
  WHERE t.token_hash = encode(sha256(convert_to(token, 'UTF8')), 'hex')
    AND t.revoked_at IS NULL AND t.expires_at > now() AND s.active
$$;
