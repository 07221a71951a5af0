"""SQL functions of SQLite that PostgreSQL lacks, created on opening (before any migration),
so that the expression indexes of the migrations and the statements that use them read the
same on both backends: ``json_valid``, ``json_extract`` (numeric ``$.key`` paths), ``instr``."""

COMPAT_FUNCTIONS = (
    """CREATE OR REPLACE FUNCTION json_valid(doc text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN
        IF doc IS NULL THEN RETURN NULL; END IF;
        PERFORM doc::jsonb;
        RETURN true;
    EXCEPTION WHEN others THEN
        RETURN false;
    END $$""",
    """CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        value jsonb;
    BEGIN
        IF doc IS NULL OR path IS NULL OR left(path, 2) <> '$.' THEN RETURN NULL; END IF;
        value := doc::jsonb -> substr(path, 3);
        IF value IS NULL OR jsonb_typeof(value) <> 'number' THEN RETURN NULL; END IF;
        RETURN value::text::double precision;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT strpos(haystack, needle) $$""",
)
