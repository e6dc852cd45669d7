//! Saving what discovery found: the RDS instances and Aurora clusters the DBA picked, as
//! integrations in one step (every one or none), each named by its id and labelled with the
//! environment one of its tags gives.

use super::model::{AwsRdsInput, ConnectionInput, Environment, Integration, IntegrationInput};
use super::Integrations;
use crate::connect::aws::RdsDatabase;
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What to save of a discovery.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct AddDiscovered {
    /// What the new integrations share: the region, the AWS access, the user, the database
    /// login, SSL and the CA bundle. The target, host and port are each database's own; the
    /// database is this one's if given, else the one RDS reports, else `postgres`.
    pub settings: AwsRdsInput,
    /// The discovery's tag filter (`[key, value]`, value `null`: any value).
    pub tags: Vec<(String, Option<String>)>,
    /// The instance and cluster ids to save (`instance:ID` or `cluster:ID` where an id is
    /// both); empty: every database found.
    pub ids: Vec<String>,
    /// The tag whose value sets each integration's environment (`env=prod` -> production).
    #[ts(optional)]
    pub environment_from_tag: Option<String>,
    /// The environment of a database without that tag (default development).
    #[ts(optional)]
    pub environment: Option<Environment>,
    pub read_only: bool,
}

/// What was saved.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DiscoveredAdded {
    pub integrations: Vec<Integration>,
    /// What the DBA should know of one (IAM authentication off, not available yet).
    pub notes: Vec<String>,
}

/// The environment a tag's value names: the usual words and their short forms, any case.
pub fn environment_of_tag(value: &str) -> Option<Environment> {
    Some(match value.trim().to_ascii_lowercase().as_str() {
        "prod" | "production" | "prd" | "live" => Environment::Production,
        "staging" | "stage" | "stg" | "preprod" | "pre-prod" => Environment::Staging,
        "test" | "testing" | "tst" | "qa" | "uat" => Environment::Testing,
        "dev" | "development" | "devel" | "sandbox" => Environment::Development,
        _ => return None,
    })
}

/// The found database an id names.
fn pick<'a>(found: &'a [RdsDatabase], id: &str, region: &str) -> Result<&'a RdsDatabase> {
    let (kind, bare) = match id.split_once(':') {
        Some(("instance", b)) => (Some(false), b),
        Some(("cluster", b)) => (Some(true), b),
        _ => (None, id),
    };
    let matches: Vec<&RdsDatabase> = found
        .iter()
        .filter(|d| d.id == bare)
        .filter(|d| kind.is_none_or(|c| d.target.is_cluster() == c))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "{id:?} is not among the PostgreSQL instances and Aurora clusters found in {region} \
                 (with the tags given): nothing was saved"
            ),
        )
        .at("ids")),
        _ => Err(Error::invalid(format!(
            "{id:?} is both an instance and a cluster: say instance:{bare} or cluster:{bare}"
        ))
        .at("ids")),
    }
}

impl Integrations {
    /// Discovers again (the list may have changed since it was shown) and saves the databases
    /// picked as integrations: all are checked first (names free, settings valid, endpoints
    /// known, environments readable), then saved; if one save fails the others are removed.
    pub async fn add_discovered(&self, req: AddDiscovered) -> Result<DiscoveredAdded> {
        let s = &req.settings;
        if req
            .environment_from_tag
            .as_deref()
            .is_some_and(|k| k.trim().is_empty())
        {
            return Err(
                Error::invalid("the environment tag's key is empty").at("environment_from_tag")
            );
        }
        let found = self.discover_rds(&s.region, &s.aws, &req.tags).await?;
        let picked: Vec<&RdsDatabase> = if req.ids.is_empty() {
            found.iter().collect()
        } else {
            let mut list: Vec<&RdsDatabase> = Vec::new();
            for id in &req.ids {
                let d = pick(&found, id, &s.region)?;
                // The same database named twice is saved once.
                if !list.iter().any(|x| std::ptr::eq(*x, d)) {
                    list.push(d);
                }
            }
            list
        };
        if picked.is_empty() {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!(
                    "no PostgreSQL instance or Aurora cluster found in {} with the tags given: \
                     nothing to save",
                    s.region
                ),
            ));
        }
        let iam = s.auth.unwrap_or(super::model::DbAuth::Iam) == super::model::DbAuth::Iam;
        let mut inputs = Vec::new();
        let mut notes = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for d in &picked {
            let host = d.host.clone().ok_or_else(|| {
                Error::new(
                    ErrorCode::AwsApi,
                    format!(
                        "{} has no endpoint yet ({}): nothing was saved; add it when it is \
                         available, or leave it out",
                        d.target.describe(),
                        d.status
                    ),
                )
                .at("ids")
            })?;
            let environment = match &req.environment_from_tag {
                None => req.environment,
                // Tag keys are case-sensitive in AWS, but `Env` and `env` mean the same here.
                Some(key) => match d.tags.get(key).or_else(|| {
                    d.tags
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v)
                }) {
                    None => {
                        notes.push(format!(
                            "{} has no tag {key}: saved as {}",
                            d.target.describe(),
                            req.environment.unwrap_or_default().as_str()
                        ));
                        req.environment
                    }
                    Some(v) => Some(environment_of_tag(v).ok_or_else(|| {
                        Error::invalid(format!(
                            "{}: tag {key}={v:?} names no environment (production, staging, \
                             testing, development, or prod, stg, qa, dev...): nothing was saved",
                            d.target.describe()
                        ))
                        .at("environment_from_tag")
                    })?),
                },
            };
            if !names.insert(d.id.clone()) {
                return Err(Error::invalid(format!(
                    "{:?} is both an instance and a cluster: save them one at a time, named \
                     by hand",
                    d.id
                ))
                .at("ids"));
            }
            if iam && !d.iam_auth {
                notes.push(format!(
                    "{}: IAM database authentication is not enabled on it, so its IAM logins \
                     will be refused until it is (modify the {} with --enable-iam-database-authentication)",
                    d.target.describe(),
                    if d.target.is_cluster() { "cluster" } else { "instance" }
                ));
            }
            if d.status != "available" {
                notes.push(format!("{} is {}", d.target.describe(), d.status));
            }
            let mut settings = s.clone();
            settings.target = Some(d.target.clone());
            settings.host = host;
            settings.port = d.port.map(i64::from);
            settings.database = s
                .database
                .clone()
                .filter(|x| !x.trim().is_empty())
                .or_else(|| d.database.clone())
                .or_else(|| Some("postgres".into()));
            inputs.push(IntegrationInput {
                name: d.id.clone(),
                environment,
                read_only: req.read_only,
                connection: ConnectionInput::AwsRds(settings),
            });
        }
        // Everything is checked before anything is saved.
        for input in &inputs {
            input.validate(None).map_err(|e| Error {
                message: format!("{}: {}", input.name, e.message),
                ..e
            })?;
            if self.app.store().find(&input.name).await?.is_some() {
                return Err(Error::new(
                    ErrorCode::DuplicateName,
                    format!(
                        "an integration named {:?} already exists: nothing was saved (leave \
                         it out, or remove or rename the saved one)",
                        input.name
                    ),
                )
                .at("ids"));
            }
        }
        let mut saved = Vec::new();
        for input in inputs {
            match self.add(input).await {
                Ok(it) => saved.push(it),
                Err(e) => {
                    // Undone: the keychain may be what failed, so an integration whose secrets
                    // cannot be deleted still loses its record (the secret stays in the
                    // keychain only, under an id nothing refers to), and what could not be
                    // undone at all is named.
                    let mut left = Vec::new();
                    let mut orphaned = Vec::new();
                    for it in &saved {
                        if self.remove(&it.id).await.is_ok() {
                            continue;
                        }
                        match self.app.store().delete(&it.id).await {
                            Ok(_) => {
                                self.app.forget_pools(&it.id).await;
                                orphaned.push(it.name.clone());
                            }
                            Err(_) => left.push(it.name.clone()),
                        }
                    }
                    let mut message = format!("{}; ", e.message);
                    if left.is_empty() {
                        message.push_str("nothing was saved");
                    } else {
                        message.push_str(&format!(
                            "these could not be undone and stay saved: {}",
                            left.join(", ")
                        ));
                    }
                    if !orphaned.is_empty() {
                        message.push_str(&format!(
                            " (the keychain did not answer: the AWS secret saved for {} may \
                             remain in it, under an integration id nothing uses)",
                            orphaned.join(", ")
                        ));
                    }
                    return Err(Error { message, ..e });
                }
            }
        }
        Ok(DiscoveredAdded {
            integrations: saved,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_environments() {
        assert_eq!(environment_of_tag("prod"), Some(Environment::Production));
        assert_eq!(
            environment_of_tag(" Production "),
            Some(Environment::Production)
        );
        assert_eq!(environment_of_tag("QA"), Some(Environment::Testing));
        assert_eq!(environment_of_tag("stg"), Some(Environment::Staging));
        assert_eq!(environment_of_tag("dev"), Some(Environment::Development));
        assert_eq!(environment_of_tag("perf"), None);
        assert_eq!(environment_of_tag(""), None);
    }
}
