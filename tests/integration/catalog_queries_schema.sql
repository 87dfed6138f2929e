-- The schema of the catalog query-count tests (test_catalog_queries.sh, and on every major
-- test_major_catalog_queries.sh): :n tables, each with a key, a foreign key, a check, an index,
-- a comment and a trigger. psql -v n=N.
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
SELECT format('CREATE TABLE public.t%s (id int PRIMARY KEY, parent int REFERENCES public.t%s (id), v text CHECK (v <> %L));
               CREATE INDEX ON public.t%s (v); COMMENT ON TABLE public.t%s IS %L;
               CREATE TRIGGER touch BEFORE UPDATE ON public.t%s FOR EACH ROW EXECUTE FUNCTION public.touch();',
              i, greatest(i - 1, 1), 'x', i, i, 'table ' || i, i)
FROM generate_series(1, :n) i
\gexec
