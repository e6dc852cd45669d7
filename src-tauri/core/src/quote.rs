//! The one quoting module for generated SQL: identifiers go through [`ident`], string literals
//! through [`literal`], parameter names through [`parameter`] and every comment line through
//! [`comment`]. Nothing else from a catalog, a document or a user reaches a script Grantry writes.

/// Quote an SQL identifier the way PostgreSQL's `quote_ident` does, but always: the result is
/// double-quoted with inner double quotes doubled, so case, spaces, keywords and unicode survive.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for ch in name.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

/// PostgreSQL's reserved key words (and those that may not name a function or type), in lower
/// case: a name spelled like one means something else when written bare (`user` is the session's
/// user, `select` a syntax error), so names shown to people quote them.
pub const RESERVED_WORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Whether `name`, written bare, would read as a key word rather than as itself.
pub fn is_reserved(name: &str) -> bool {
    RESERVED_WORDS
        .binary_search(&name.to_lowercase().as_str())
        .is_ok()
}

/// Quote a qualified name `schema.name`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// Quote a string literal the way PostgreSQL's `quote_literal` does: quotes doubled, and a value
/// with a backslash written as an `E'..'` string with the backslash doubled, so it reads the same
/// whatever `standard_conforming_strings` says on the server that runs the script.
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 3);
    if value.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for ch in value.chars() {
        if ch == '\'' || ch == '\\' {
            out.push(ch);
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

/// A configuration parameter's name in `GRANT .. ON PARAMETER`: each dotted part (custom
/// parameters are `prefix.name`) as a quoted identifier.
pub fn parameter(name: &str) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}

/// An argument of a psql meta-command (`\connect`), single-quoted as psql reads it: a quote
/// doubled, and a backslash, a line break or a tab written as psql's escapes, so the argument
/// is one line and ends where it should.
pub fn psql_arg(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        match ch {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A value of a libpq connection string (`key='value'`): single-quoted, its quotes and
/// backslashes escaped with a backslash.
pub fn conninfo_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        if ch == '\'' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

/// One `-- ` comment line (without its newline) that says `text` and cannot end early (see
/// [`escape_controls`]: PostgreSQL's lexer ends a `--` comment at `\n` or `\r`).
pub fn comment(text: &str) -> String {
    format!("-- {}", escape_controls(text))
}

/// `text` with line breaks, every other control character, Unicode line and paragraph
/// separators and bidirectional controls (which make an editor or a terminal show a line other
/// than what is there) written as escapes, and the backslash itself too, so the escaping is
/// unambiguous. For comments in scripts and for names printed to a terminal.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
                )
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c) =>
            {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted_and_found_in_any_case() {
        assert!(RESERVED_WORDS.windows(2).all(|w| w[0] < w[1]));
        for w in [
            "user",
            "USER",
            "Select",
            "current_user",
            "session_user",
            "none",
        ] {
            assert!(is_reserved(w), "{w}");
        }
        for w in ["alice", "users", "public", "role", "name"] {
            assert!(!is_reserved(w), "{w}");
        }
    }

    #[test]
    fn quotes_hostile_identifiers() {
        assert_eq!(ident("plain"), "\"plain\"");
        assert_eq!(ident("Mixed Case"), "\"Mixed Case\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("select"), "\"select\"");
        assert_eq!(qualified("s p", "t\""), "\"s p\".\"t\"\"\"");
        assert_eq!(literal("o'neil"), "'o''neil'");
        assert_eq!(literal(r"a\b'"), r"E'a\\b'''");
        assert_eq!(parameter("work_mem"), "\"work_mem\"");
        assert_eq!(parameter("my.x\""), "\"my\".\"x\"\"\"");
    }

    #[test]
    fn comments_stay_on_their_line() {
        let hostile =
            "t\nGRANT ALL ON TABLE secret.vault TO PUBLIC; --\r\u{2028}x\u{202e}*/\\n\u{7f}";
        let c = comment(hostile);
        assert!(!c.chars().any(|ch| ch.is_control()), "{c:?}");
        assert_eq!(
            c,
            r"-- t\nGRANT ALL ON TABLE secret.vault TO PUBLIC; --\r\u{2028}x\u{202e}*/\\n\u{007f}"
        );
        assert_eq!(comment("table sales.orders"), "-- table sales.orders");
    }
}
