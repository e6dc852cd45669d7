//! The one quoting function for identifiers (and its sibling for literals). Every identifier that
//! Grantry puts into generated SQL goes through [`ident`].

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

/// Quote a string literal (standard_conforming_strings = on, which every supported server has).
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for ch in value.chars() {
        if ch == '\'' {
            out.push('\'');
        }
        out.push(ch);
    }
    out.push('\'');
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
    }
}
