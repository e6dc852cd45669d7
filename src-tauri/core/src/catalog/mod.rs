//! The catalog tree: host > databases > schemas > relations, lazy per level and paged on the
//! server. Every query lives in a `.sql` file beside this one.

use crate::app::App;
use crate::connect::classify;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPool;
use std::sync::{LazyLock, OnceLock};
use ts_rs::TS;

pub const DEFAULT_PAGE: u32 = 200;
pub const MAX_PAGE: u32 = 5000;

/// Paging and filtering for one tree level.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct TreeQuery {
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// Show system schemas (pg_catalog, information_schema, pg_toast) and template databases.
    pub include_system: bool,
    /// Also count all matches (costs one more pass on big schemas).
    pub with_total: bool,
}

/// The longest name PostgreSQL keeps, in bytes (NAMEDATALEN - 1): a longer search finds nothing.
const NAME_MAX_BYTES: usize = 63;

impl TreeQuery {
    /// The page size, once the query is checked: a limit from 1 to [`MAX_PAGE`], a search no
    /// longer than a name can be.
    fn limit(&self) -> Result<i64> {
        // Each character of a name takes at least one byte, and a search letter may match a
        // shorter form of itself (the Kelvin sign finds `k`): count characters.
        if let Some(n) = self
            .search_text()
            .map(|s| s.chars().count())
            .filter(|&n| n > NAME_MAX_BYTES)
        {
            return Err(Error::invalid(format!(
                "the search is {n} characters long, and names are at most {NAME_MAX_BYTES} bytes"
            ))
            .at("search"));
        }
        match self.limit {
            None => Ok(DEFAULT_PAGE as i64),
            Some(0) => Err(Error::invalid("limit must be at least 1").at("limit")),
            Some(n) if n > MAX_PAGE => {
                Err(Error::invalid(format!("limit is at most {MAX_PAGE}")).at("limit"))
            }
            Some(n) => Ok(n as i64),
        }
    }
    fn offset(&self) -> i64 {
        self.offset.unwrap_or(0) as i64
    }
    /// The search text as given (names may begin or end with spaces); `None` when empty.
    fn search_text(&self) -> Option<&str> {
        self.search.as_deref().filter(|s| !s.is_empty())
    }

    /// The search as an `ILIKE` pattern, when that finds exactly the names [`Self::pattern`]
    /// finds: the text is ASCII (ILIKE folds ASCII letters on `name`) and none of its letters
    /// has a non-ASCII case form (`i` also matches the Turkish `İ` and `ı`, `k` the Kelvin
    /// sign, `s` the long `ſ`). ILIKE costs less than a regular expression, which counts on a
    /// million names.
    pub fn like_pattern(&self) -> Option<String> {
        let s = self.search_text()?;
        if !s.is_ascii()
            || s.chars()
                .any(|c| case_class(c).is_some_and(|class| !class.is_ascii()))
        {
            return None;
        }
        let mut p = String::from("%");
        for ch in s.chars() {
            if matches!(ch, '%' | '_' | '\\') {
                p.push('\\');
            }
            p.push(ch);
        }
        p.push('%');
        Some(p)
    }

    /// The search text as a regular expression for `~` that ignores case for every letter,
    /// not only ASCII (`ILIKE` on `name`, a C-collated type, folds only ASCII, so `ü` would not
    /// find `ÜniCödé`): each letter becomes a class of its cases (`[üÜ]`), every other
    /// character is matched literally.
    pub fn pattern(&self) -> Option<String> {
        let s = self.search_text()?;
        let mut p = String::with_capacity(s.len() * 4);
        for ch in s.chars() {
            match case_class(ch) {
                Some(class) => {
                    p.push('[');
                    p.push_str(class);
                    p.push(']');
                }
                None if ch.is_alphanumeric() => p.push(ch),
                // Everything else literally: a backslash before a non-alphanumeric character
                // makes it ordinary in PostgreSQL's regular expressions.
                None if ch.is_ascii() => {
                    p.push('\\');
                    p.push(ch);
                }
                None => p.push(ch),
            }
        }
        Some(p)
    }
}

/// One page of a tree level.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub offset: u32,
    pub limit: u32,
    pub has_more: bool,
    /// All matches, when asked for with `with_total`.
    #[ts(type = "number | null")]
    pub total: Option<i64>,
}

/// The letters a search letter matches: every letter with the same case fold (its lower case
/// of its upper case: `k`, `K` and the Kelvin sign `K`; `s`, `S` and `ſ`; `σ`, `ς` and `Σ`),
/// the fold first. `None` for a character without case. The Turkish `İ` joins `i`, `I` and `ı`,
/// as PostgreSQL's ILIKE has it.
fn case_class(ch: char) -> Option<&'static str> {
    static CLASSES: LazyLock<std::collections::HashMap<char, String>> = LazyLock::new(|| {
        fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
            let c = it.next()?;
            it.next().is_none().then_some(c)
        }
        let fold = |c: char| {
            if c == 'İ' {
                return 'i';
            }
            single(c.to_uppercase())
                .and_then(|u| single(u.to_lowercase()))
                .or_else(|| single(c.to_lowercase()))
                .unwrap_or(c)
        };
        let mut groups: std::collections::BTreeMap<char, Vec<char>> = Default::default();
        // Every cased letter is below U+1F000 (the last are Adlam's, U+1E900-U+1E94B).
        for c in (0..0x1F000).filter_map(char::from_u32) {
            let f = fold(c);
            if f != c || c.to_uppercase().ne(std::iter::once(c)) {
                groups.entry(f).or_default().push(c);
            }
        }
        let mut classes = std::collections::HashMap::new();
        for (f, mut members) in groups {
            members.retain(|&m| m != f);
            if members.is_empty() {
                continue;
            }
            let class: String = std::iter::once(f).chain(members.iter().copied()).collect();
            for m in std::iter::once(f).chain(members) {
                classes.insert(m, class.clone());
            }
        }
        classes
    });
    CLASSES.get(&ch).map(String::as_str)
}

fn page<T>(mut items: Vec<T>, q: &TreeQuery, limit: i64, total: Option<i64>) -> Page<T> {
    let has_more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Page {
        items,
        offset: q.offset() as u32,
        limit: limit as u32,
        has_more,
        total,
    }
}

#[derive(Debug, Clone, Serialize, TS, sqlx::FromRow)]
pub struct DatabaseNode {
    pub name: String,
    pub owner: String,
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    pub comment: Option<String>,
    pub is_template: bool,
    pub allow_connections: bool,
    pub encoding: String,
}

#[derive(Debug, Clone, Serialize, TS, sqlx::FromRow)]
pub struct SchemaNode {
    pub name: String,
    pub owner: String,
    pub comment: Option<String>,
    pub is_system: bool,
    /// Relations (tables, views, sequences, ...), counted up to [`SCHEMA_COUNT_CAP`]; see
    /// `relation_count_capped` and [`Catalog::schema_stats`] for the exact count.
    #[ts(type = "number")]
    pub relation_count: i64,
    /// The schema holds more than `relation_count` relations.
    #[sqlx(default)]
    pub relation_count_capped: bool,
}

/// Schemas in the tree count their relations up to this many (the tree shows "1,000+").
pub const SCHEMA_COUNT_CAP: i64 = 1000;

/// Schemas with at most this many relations have their size measured on disk.
pub const SCHEMA_MEASURED_RELATIONS: i64 = 10_000;

/// One schema counted exactly: what its detail shows.
#[derive(Debug, Clone, Serialize, TS, sqlx::FromRow)]
pub struct SchemaStats {
    #[ts(type = "number")]
    pub relation_count: i64,
    /// Total size of its relations (tables, indexes, TOAST), measured on disk; for schemas of
    /// more than [`SCHEMA_MEASURED_RELATIONS`] relations, estimated from relpages instead.
    #[ts(type = "number")]
    pub size_bytes: i64,
    pub size_estimated: bool,
    /// From reltuples (as fresh as the last VACUUM or ANALYZE).
    #[ts(type = "number")]
    pub estimated_rows: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename_all = "snake_case")]
pub enum RelationKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    ForeignTable,
    Sequence,
    Other,
}

impl RelationKind {
    pub fn from_relkind(k: &str) -> Self {
        match k {
            "r" => Self::Table,
            "p" => Self::PartitionedTable,
            "v" => Self::View,
            "m" => Self::MaterializedView,
            "f" => Self::ForeignTable,
            "S" => Self::Sequence,
            _ => Self::Other,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::PartitionedTable => "partitioned table",
            Self::View => "view",
            Self::MaterializedView => "materialized view",
            Self::ForeignTable => "foreign table",
            Self::Sequence => "sequence",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RelationNode {
    pub oid: u32,
    pub name: String,
    pub kind: RelationKind,
    pub owner: String,
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    #[ts(type = "number | null")]
    pub estimated_rows: Option<i64>,
    pub comment: Option<String>,
    pub is_partition: bool,
}

#[derive(sqlx::FromRow)]
struct RelationRow {
    oid: i64,
    name: String,
    kind: String,
    owner: String,
    size_bytes: Option<i64>,
    estimated_rows: Option<i64>,
    comment: Option<String>,
    is_partition: bool,
    /// How many relations match the search, when the page counted them.
    matches: Option<i64>,
}

#[derive(Debug, Clone, Serialize, TS, sqlx::FromRow)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: String,
    pub not_null: bool,
    pub default_value: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RelationDetail {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub kind: RelationKind,
    pub owner: String,
    #[ts(type = "number | null")]
    pub table_bytes: Option<i64>,
    #[ts(type = "number | null")]
    pub index_bytes: Option<i64>,
    #[ts(type = "number | null")]
    pub total_bytes: Option<i64>,
    #[ts(type = "number | null")]
    pub estimated_rows: Option<i64>,
    pub comment: Option<String>,
    /// The raw ACL (`relacl`), NULL meaning the owner's defaults.
    pub acl: Option<Vec<String>>,
    pub row_security: bool,
    pub is_partition: bool,
    #[ts(type = "number")]
    pub index_count: i64,
    pub definition: Option<String>,
    pub last_vacuum: Option<String>,
    pub last_autovacuum: Option<String>,
    pub last_analyze: Option<String>,
    pub last_autoanalyze: Option<String>,
    #[ts(type = "number | null")]
    pub seq_scan: Option<i64>,
    #[ts(type = "number | null")]
    pub idx_scan: Option<i64>,
    pub columns: Vec<ColumnInfo>,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    oid: i64,
    name: String,
    schema: String,
    kind: String,
    owner: String,
    table_bytes: Option<i64>,
    index_bytes: Option<i64>,
    total_bytes: Option<i64>,
    estimated_rows: Option<i64>,
    comment: Option<String>,
    acl: Option<Vec<String>>,
    row_security: bool,
    is_partition: bool,
    index_count: i64,
    definition: Option<String>,
    last_vacuum: Option<String>,
    last_autovacuum: Option<String>,
    last_analyze: Option<String>,
    last_autoanalyze: Option<String>,
    seq_scan: Option<i64>,
    idx_scan: Option<i64>,
}

pub const DATABASES_SQL: &str = include_str!("sql/databases.sql");
pub const DATABASES_COUNT_SQL: &str = include_str!("sql/databases_count.sql");
pub const SCHEMAS_COUNT_SQL: &str = include_str!("sql/schemas_count.sql");
pub const RELATIONS_COUNT_SQL: &str = include_str!("sql/relations_count.sql");

/// A catalog query in two forms. The fast one reads pg_depend, pg_type or pg_sequence through
/// their indexes; PostgreSQL lets PUBLIC read them, but a hardened server may have revoked that,
/// and then the other form, which reads pg_class alone, answers the same. Both are `template`
/// with its line `-- {slot}` replaced by a fragment.
pub struct TreeSql {
    template: &'static str,
    slot: &'static str,
    fast: &'static str,
    pg_class: &'static str,
    composed: OnceLock<(String, String)>,
}

impl TreeSql {
    const fn new(
        template: &'static str,
        slot: &'static str,
        fast: &'static str,
        pg_class: &'static str,
    ) -> Self {
        TreeSql {
            template,
            slot,
            fast,
            pg_class,
            composed: OnceLock::new(),
        }
    }
    fn composed(&self) -> &(String, String) {
        self.composed.get_or_init(|| {
            let marker = format!("-- {{{}}}", self.slot);
            assert!(
                self.template.contains(&marker),
                "no {marker} in the template"
            );
            let with = |fragment: &str| self.template.replace(&marker, fragment.trim_end());
            (with(self.fast), with(self.pg_class))
        })
    }
    /// The fast form.
    pub fn fast(&'static self) -> &'static str {
        &self.composed().0
    }
    /// The form that reads pg_class alone.
    pub fn pg_class(&'static self) -> &'static str {
        &self.composed().1
    }
}

pub static SCHEMAS_SQL: TreeSql = TreeSql::new(
    include_str!("sql/schemas.sql"),
    "relation_count",
    include_str!("sql/relation_count.sql"),
    include_str!("sql/relation_count_pg_class.sql"),
);
pub static RELATIONS_SQL: TreeSql = TreeSql::new(
    include_str!("sql/relations.sql"),
    "page",
    include_str!("sql/relations_page.sql"),
    include_str!("sql/relations_page_pg_class.sql"),
);
pub static SCHEMA_STATS_SQL: TreeSql = TreeSql::new(
    include_str!("sql/schema_stats.sql"),
    "rels",
    include_str!("sql/schema_rels.sql"),
    include_str!("sql/schema_rels_pg_class.sql"),
);
const RELATION_DETAIL_SQL: &str = include_str!("sql/relation_detail.sql");
const COLUMNS_SQL: &str = include_str!("sql/columns.sql");

fn q_err(e: sqlx::Error) -> Error {
    classify(&e)
}

/// Runs `query` with `sql`, and with `pg_class` (its pg_class form, see [`TreeSql`]) where the
/// server refuses `sql` for want of SELECT on a catalog (SQLSTATE 42501).
async fn run_tree_sql<T, F, Fut>(
    sql: &'static str,
    pg_class: Option<&'static str>,
    query: F,
) -> Result<T>
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, sqlx::Error>>,
{
    match (query(sql).await, pg_class) {
        (Err(sqlx::Error::Database(d)), Some(other)) if d.code().as_deref() == Some("42501") => {
            query(other).await.map_err(q_err)
        }
        (r, _) => r.map_err(q_err),
    }
}

/// One page of a top level (databases or schemas): both queries take
/// `($1 pattern, $2 include_system, $3 limit, $4 offset)` and their counts `($1, $2)`.
async fn top_level<T>(
    pool: &PgPool,
    q: &TreeQuery,
    sql: &'static str,
    pg_class: Option<&'static str>,
    count_sql: &str,
) -> Result<Page<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let limit = q.limit()?;
    let pattern = &q.pattern();
    let items: Vec<T> = run_tree_sql(sql, pg_class, |sql| {
        sqlx::query_as(sql)
            .bind(pattern)
            .bind(q.include_system)
            .bind(limit + 1)
            .bind(q.offset())
            .fetch_all(pool)
    })
    .await?;
    let total = if q.with_total {
        Some(
            sqlx::query_scalar(count_sql)
                .bind(pattern)
                .bind(q.include_system)
                .fetch_one(pool)
                .await
                .map_err(q_err)?,
        )
    } else {
        None
    };
    Ok(page(items, q, limit, total))
}

/// The catalog tree of a Grantry's integrations (`grantry.catalog()`).
pub struct Catalog {
    pub(crate) app: std::sync::Arc<App>,
}

impl Catalog {
    pub async fn databases(&self, integration: &str, q: &TreeQuery) -> Result<Page<DatabaseNode>> {
        let pool = self.app.pool(integration, None).await?;
        databases(&pool, q).await
    }

    pub async fn schemas(
        &self,
        integration: &str,
        database: &str,
        q: &TreeQuery,
    ) -> Result<Page<SchemaNode>> {
        let pool = self.app.pool(integration, Some(database)).await?;
        schemas(&pool, q).await
    }

    pub async fn relations(
        &self,
        integration: &str,
        database: &str,
        schema: &str,
        q: &TreeQuery,
    ) -> Result<Page<RelationNode>> {
        let pool = self.app.pool(integration, Some(database)).await?;
        relations(&pool, schema, q).await
    }

    /// A schema's relations counted exactly, with their size.
    pub async fn schema_stats(
        &self,
        integration: &str,
        database: &str,
        schema: &str,
    ) -> Result<SchemaStats> {
        let pool = self.app.pool(integration, Some(database)).await?;
        schema_stats(&pool, schema).await
    }

    pub async fn relation_detail(
        &self,
        integration: &str,
        database: &str,
        schema: &str,
        name: &str,
    ) -> Result<RelationDetail> {
        let pool = self.app.pool(integration, Some(database)).await?;
        relation_detail(&pool, schema, name).await
    }
}

pub async fn databases(pool: &PgPool, q: &TreeQuery) -> Result<Page<DatabaseNode>> {
    top_level(pool, q, DATABASES_SQL, None, DATABASES_COUNT_SQL).await
}

pub async fn schemas(pool: &PgPool, q: &TreeQuery) -> Result<Page<SchemaNode>> {
    let mut page: Page<SchemaNode> = top_level(
        pool,
        q,
        SCHEMAS_SQL.fast(),
        Some(SCHEMAS_SQL.pg_class()),
        SCHEMAS_COUNT_SQL,
    )
    .await?;
    for s in &mut page.items {
        if s.relation_count > SCHEMA_COUNT_CAP {
            s.relation_count = SCHEMA_COUNT_CAP;
            s.relation_count_capped = true;
        }
    }
    Ok(page)
}

pub async fn schema_stats(pool: &PgPool, schema: &str) -> Result<SchemaStats> {
    let stats: Option<SchemaStats> = run_tree_sql(
        SCHEMA_STATS_SQL.fast(),
        Some(SCHEMA_STATS_SQL.pg_class()),
        |sql| {
            sqlx::query_as(sql)
                .bind(schema)
                .bind(SCHEMA_MEASURED_RELATIONS)
                .fetch_optional(pool)
        },
    )
    .await?;
    stats.ok_or_else(|| Error::not_found(format!("no schema named {schema:?}")))
}

async fn schema_exists(pool: &PgPool, schema: &str) -> Result<()> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_namespace WHERE nspname = $1")
        .bind(schema)
        .fetch_optional(pool)
        .await
        .map_err(q_err)?;
    found
        .map(|_| ())
        .ok_or_else(|| Error::not_found(format!("no schema named {schema:?}")))
}

pub async fn relations(pool: &PgPool, schema: &str, q: &TreeQuery) -> Result<Page<RelationNode>> {
    let limit = q.limit()?;
    let pattern = &q.pattern();
    let like = &q.like_pattern();
    let rows: Vec<RelationRow> = run_tree_sql(
        RELATIONS_SQL.fast(),
        Some(RELATIONS_SQL.pg_class()),
        |sql| {
            sqlx::query_as(sql)
                .bind(schema)
                .bind(pattern)
                .bind(limit + 1)
                .bind(q.offset())
                .bind(like)
                .fetch_all(pool)
        },
    )
    .await?;
    if rows.is_empty() && q.offset() == 0 {
        schema_exists(pool, schema).await?;
    }
    let counted = rows.first().and_then(|r| r.matches);
    let total = if !q.with_total {
        None
    } else if counted.is_some() {
        counted
    } else {
        Some(
            sqlx::query_scalar(RELATIONS_COUNT_SQL)
                .bind(schema)
                .bind(pattern)
                .bind(like)
                .fetch_one(pool)
                .await
                .map_err(q_err)?,
        )
    };
    let items = rows
        .into_iter()
        .map(|r| RelationNode {
            oid: r.oid as u32,
            name: r.name,
            kind: RelationKind::from_relkind(&r.kind),
            owner: r.owner,
            size_bytes: r.size_bytes,
            estimated_rows: r.estimated_rows,
            comment: r.comment,
            is_partition: r.is_partition,
        })
        .collect();
    Ok(page(items, q, limit, total))
}

pub async fn relation_detail(pool: &PgPool, schema: &str, name: &str) -> Result<RelationDetail> {
    let row: Option<DetailRow> = sqlx::query_as(RELATION_DETAIL_SQL)
        .bind(schema)
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(q_err)?;
    let r = row.ok_or_else(|| Error::not_found(format!("no relation {schema:?}.{name:?}")))?;
    let columns: Vec<ColumnInfo> = sqlx::query_as(COLUMNS_SQL)
        .bind(r.oid)
        .fetch_all(pool)
        .await
        .map_err(q_err)?;
    Ok(RelationDetail {
        oid: r.oid as u32,
        name: r.name,
        schema: r.schema,
        kind: RelationKind::from_relkind(&r.kind),
        owner: r.owner,
        table_bytes: r.table_bytes,
        index_bytes: r.index_bytes,
        total_bytes: r.total_bytes,
        estimated_rows: r.estimated_rows,
        comment: r.comment,
        acl: r.acl,
        row_security: r.row_security,
        is_partition: r.is_partition,
        index_count: r.index_count,
        definition: r.definition,
        last_vacuum: r.last_vacuum,
        last_autovacuum: r.last_autovacuum,
        last_analyze: r.last_analyze,
        last_autoanalyze: r.last_autoanalyze,
        seq_scan: r.seq_scan,
        idx_scan: r.idx_scan,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pattern_only_where_it_finds_the_same_names() {
        let q = |s: &str| {
            TreeQuery {
                search: Some(s.into()),
                ..Default::default()
            }
            .like_pattern()
        };
        assert_eq!(q("Order").as_deref(), Some("%Order%"));
        // Names may begin or end with spaces: the search is taken as given.
        assert_eq!(q(" Order ").as_deref(), Some("% Order %"));
        assert_eq!(q("a%b_c\\d").as_deref(), Some("%a\\%b\\_c\\\\d%"));
        assert_eq!(q("4999").as_deref(), Some("%4999%"));
        // The regular expression is kept for the letters with a non-ASCII case form (the
        // Turkish i, the Kelvin sign, the long s) and for every non-ASCII letter.
        assert_eq!(q("line"), None);
        assert_eq!(q("Task"), None);
        assert_eq!(q("ÜniCödé"), None);
        assert_eq!(q(""), None);
    }

    #[test]
    fn search_pattern_folds_every_letter_and_is_literal_otherwise() {
        let q = |s: &str| {
            TreeQuery {
                search: Some(s.into()),
                ..Default::default()
            }
            .pattern()
        };
        assert_eq!(q("a_b%c\\.").unwrap(), "[aA]\\_[bB]\\%[cC]\\\\\\.");
        assert_eq!(q("ü1").unwrap(), "[üÜ]1");
        assert_eq!(q("Ö").unwrap(), "[öÖ]");
        assert_eq!(q("İz").unwrap(), "[iIİı][zZ]");
        assert_eq!(q("ΣΟΦΟΣ").unwrap(), "[σΣς][οΟ][φΦϕ][οΟ][σΣς]");
        assert_eq!(q("ǆ").unwrap(), "[ǆǄǅ]");
        assert_eq!(q(""), None);
        // Every member of a class finds the same names: the fold is what counts.
        for (a, b) in [
            ('k', '\u{212A}'), // Kelvin sign
            ('s', 'ſ'),
            ('ω', '\u{2126}'), // Ohm sign
            ('å', '\u{212B}'), // Angstrom sign
            ('μ', 'µ'),        // micro sign
            ('ß', 'ẞ'),
            ('i', 'ı'),
        ] {
            assert_eq!(q(&a.to_string()), q(&b.to_string()), "{a} {b}");
            assert!(q(&a.to_string()).unwrap().contains(b), "{a} {b}");
        }
        assert_eq!(q("ẞ").unwrap(), "[ßẞ]");
    }

    #[test]
    fn limits_are_checked() {
        assert!(TreeQuery {
            limit: Some(0),
            ..Default::default()
        }
        .limit()
        .is_err());
        assert!(TreeQuery {
            limit: Some(MAX_PAGE + 1),
            ..Default::default()
        }
        .limit()
        .is_err());
        assert_eq!(TreeQuery::default().limit().unwrap(), DEFAULT_PAGE as i64);
        // A name has at most 63 bytes: a longer search is refused, at its field.
        let long = |n: usize| TreeQuery {
            search: Some("i".repeat(n)),
            ..Default::default()
        };
        assert!(long(63).limit().is_ok());
        // 22 Kelvin signs are 66 bytes, and find a name of 22 k.
        assert!(TreeQuery {
            search: Some("\u{212A}".repeat(22)),
            ..Default::default()
        }
        .limit()
        .is_ok());
        let e = long(64).limit().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("search"));
        assert_eq!(
            TreeQuery {
                limit: Some(0),
                ..Default::default()
            }
            .limit()
            .unwrap_err()
            .field
            .as_deref(),
            Some("limit")
        );
    }
}
