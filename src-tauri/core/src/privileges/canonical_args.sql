-- A routine's identity argument list, from a signature a person typed ("s.f(int, varchar)"):
-- the server's own parser resolves type names, aliases and search_path. NULL when no routine
-- has that signature, or when the text is not a signature at all (to_regprocedure never raises
-- for a missing routine; it does for a malformed one, which the caller reports).
SELECT pg_get_function_identity_arguments(to_regprocedure($1)) AS args
