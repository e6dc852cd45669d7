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
