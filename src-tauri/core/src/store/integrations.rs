//! The `integrations` table: one row per saved integration, its settings as JSON.

use super::{db_err, Store};
use crate::error::{Error, ErrorCode, Result};
use crate::integrations::model::{Connection, Environment, PasswordStorage};
use sqlx::Row;

/// One stored integration row, before secrets are looked at.
#[derive(Debug, Clone)]
pub struct StoredIntegration {
    pub id: String,
    pub name: String,
    pub connection: Connection,
    pub environment: Environment,
    pub read_only: bool,
    pub password_storage: PasswordStorage,
    pub is_sandbox: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl Store {
    fn row_to_integration(row: &sqlx::sqlite::SqliteRow) -> Result<StoredIntegration> {
        let config: String = row.get("config");
        let connection: Connection = serde_json::from_str(&config).map_err(|e| {
            Error::local_store("an integration in the local store has unreadable settings")
                .with_detail(e.to_string())
        })?;
        Ok(StoredIntegration {
            id: row.get("id"),
            name: row.get("name"),
            connection,
            environment: Environment::parse(row.get::<&str, _>("environment"))
                .map_err(|e| Error::local_store(e.message))?,
            read_only: row.get::<i64, _>("read_only") != 0,
            password_storage: PasswordStorage::parse(row.get::<&str, _>("password_storage"))?,
            is_sandbox: row.get::<i64, _>("is_sandbox") != 0,
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        })
    }

    pub async fn list(&self) -> Result<Vec<StoredIntegration>> {
        let rows = sqlx::query("SELECT * FROM integrations ORDER BY name COLLATE NOCASE")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(Self::row_to_integration).collect()
    }

    /// Finds by exact id or by name (case-insensitive).
    pub async fn find(&self, name_or_id: &str) -> Result<Option<StoredIntegration>> {
        let row = sqlx::query(
            "SELECT * FROM integrations WHERE id = ?1 OR name = ?1 COLLATE NOCASE ORDER BY id = ?1 DESC LIMIT 1",
        )
        .bind(name_or_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(Self::row_to_integration).transpose()
    }

    pub async fn get(&self, name_or_id: &str) -> Result<StoredIntegration> {
        self.find(name_or_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("no integration named {name_or_id:?}")))
    }

    /// Inserts or replaces `it` inside a transaction, running `before_commit` (which stores the
    /// secrets) before committing: if it fails, nothing is saved.
    pub async fn save<F>(
        &self,
        it: &StoredIntegration,
        insert: bool,
        before_commit: F,
    ) -> Result<()>
    where
        F: std::future::Future<Output = Result<()>>,
    {
        let config = serde_json::to_string(&it.connection)
            .map_err(|e| Error::internal(format!("cannot encode settings: {e}")))?;
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let sql = if insert {
            "INSERT INTO integrations (id, name, kind, config, environment, read_only, password_storage, is_sandbox, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        } else {
            "UPDATE integrations SET name = ?2, kind = ?3, config = ?4, environment = ?5, read_only = ?6,
                 password_storage = ?7, is_sandbox = ?8, updated_at = ?10 WHERE id = ?1"
        };
        let res = sqlx::query(sql)
            .bind(&it.id)
            .bind(&it.name)
            .bind(it.connection.kind())
            .bind(&config)
            .bind(it.environment.as_str())
            .bind(it.read_only as i64)
            .bind(it.password_storage.as_str())
            .bind(it.is_sandbox as i64)
            .bind(&it.created_at)
            .bind(&it.updated_at)
            .execute(&mut *tx)
            .await;
        match res {
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                return Err(Error::new(
                    ErrorCode::DuplicateName,
                    format!("an integration named {:?} already exists", it.name),
                ));
            }
            Err(e) => return Err(db_err(e)),
            Ok(r) if r.rows_affected() != 1 => {
                return Err(Error::not_found(format!(
                    "no integration named {:?}",
                    it.name
                )))
            }
            Ok(_) => {}
        }
        before_commit.await?;
        tx.commit().await.map_err(db_err)
    }

    pub async fn delete(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM integrations WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected() == 1)
    }
}
