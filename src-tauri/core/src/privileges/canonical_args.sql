-- A routine's identity: the types of its input arguments as the server writes them
-- (oidvectortypes: no argument names, no OUT arguments, so pg_stat_statements(boolean)), from
-- a signature a person typed ("s.f(int, varchar)"): the server's own parser resolves type
-- names, aliases and search_path. NULL when no routine has that signature, or when the text is
-- not a signature at all (to_regprocedure never raises for a missing routine; it does for a
-- malformed one, which the caller reports).
SELECT oidvectortypes(proargtypes) AS args FROM pg_proc WHERE oid = to_regprocedure($1)
