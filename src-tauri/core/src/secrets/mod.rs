//! Secrets: a redacting wrapper type and the OS keychain behind a small trait.
//!
//! Secrets live only in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows) through the `keyring` crate. There is no plaintext or in-memory fallback for
//! saved secrets: when the keychain cannot be reached the caller gets `KeychainUnavailable` and may
//! choose to keep the secret for the running session only.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Deserializer};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// A secret value. Debug and Display print `<redacted>`; it cannot be serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The only way to read the value. Call it where the secret is handed to a driver, nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// A random password of `len` characters from an unambiguous alphabet.
    pub fn generate(len: usize) -> Self {
        use rand::Rng;
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        let mut rng = rand::rng();
        Secret(
            (0..len)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect(),
        )
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Which secret of an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    Password,
    ClientKey,
    /// A static AWS access key's secret half.
    AwsSecretAccessKey,
    /// The session token of temporary AWS credentials.
    AwsSessionToken,
    /// An Entra ID app registration's client secret.
    EntraClientSecret,
}

impl SecretKind {
    /// Every kind an integration may have (what removing it deletes).
    pub const ALL: [SecretKind; 5] = [
        SecretKind::Password,
        SecretKind::ClientKey,
        SecretKind::AwsSecretAccessKey,
        SecretKind::AwsSessionToken,
        SecretKind::EntraClientSecret,
    ];
    fn account(self, integration_id: &str) -> String {
        match self {
            SecretKind::Password => format!("integration/{integration_id}/password"),
            SecretKind::ClientKey => format!("integration/{integration_id}/client-key"),
            SecretKind::AwsSecretAccessKey => {
                format!("integration/{integration_id}/aws-secret-access-key")
            }
            SecretKind::AwsSessionToken => {
                format!("integration/{integration_id}/aws-session-token")
            }
            SecretKind::EntraClientSecret => {
                format!("integration/{integration_id}/entra-client-secret")
            }
        }
    }
}

/// Where secrets are kept. The real implementation is [`Keychain`]; [`MemoryKeychain`] exists for
/// unit tests only and is never chosen at run time.
pub trait SecretStore: Send + Sync {
    fn get(&self, integration_id: &str, kind: SecretKind) -> Result<Option<Secret>>;
    fn set(&self, integration_id: &str, kind: SecretKind, value: &Secret) -> Result<()>;
    fn delete(&self, integration_id: &str, kind: SecretKind) -> Result<()>;
    /// A short description for error messages and diagnostics.
    fn describe(&self) -> String;
}

/// The OS keychain through the keyring crate.
pub struct Keychain {
    service: String,
}

impl Keychain {
    /// `service` names Grantry's entries in the keychain; tests pass their own to stay isolated.
    pub fn new(service: impl Into<String>) -> Self {
        Keychain {
            service: service.into(),
        }
    }

    fn entry(&self, integration_id: &str, kind: SecretKind, op: Op) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &kind.account(integration_id))
            .map_err(|e| keychain_error(e, op))
    }
}

/// What a keychain call was doing, for saying what its failure means.
#[derive(Clone, Copy)]
enum Op {
    Read,
    Save,
    Delete,
}

/// The error for a keychain that cannot be reached during `op`.
fn unavailable(op: Op) -> Error {
    Error::new(
        ErrorCode::KeychainUnavailable,
        match op {
            Op::Read => "the OS keychain is not available, so the saved secret cannot be read",
            Op::Save => "the OS keychain is not available, so the secret was not saved",
            Op::Delete => "the OS keychain is not available, so the secret was not removed",
        },
    )
}

fn keychain_error(e: keyring::Error, op: Op) -> Error {
    use keyring::Error as K;
    let detail = e.to_string();
    match e {
        K::NoStorageAccess(_) | K::PlatformFailure(_) | K::NoDefaultStore => {
            unavailable(op).with_detail(detail)
        }
        _ => Error::new(
            ErrorCode::KeychainUnavailable,
            "the OS keychain refused the request",
        )
        .with_detail(detail),
    }
}

impl SecretStore for Keychain {
    fn get(&self, integration_id: &str, kind: SecretKind) -> Result<Option<Secret>> {
        match self.entry(integration_id, kind, Op::Read)?.get_password() {
            Ok(v) => Ok(Some(Secret(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e, Op::Read)),
        }
    }
    fn set(&self, integration_id: &str, kind: SecretKind, value: &Secret) -> Result<()> {
        self.entry(integration_id, kind, Op::Save)?
            .set_password(value.expose())
            .map_err(|e| keychain_error(e, Op::Save))
    }
    fn delete(&self, integration_id: &str, kind: SecretKind) -> Result<()> {
        match self
            .entry(integration_id, kind, Op::Delete)?
            .delete_credential()
        {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e, Op::Delete)),
        }
    }
    fn describe(&self) -> String {
        format!("OS keychain (service {:?})", self.service)
    }
}

/// In-memory store for unit tests.
#[derive(Default)]
pub struct MemoryKeychain {
    entries: Mutex<HashMap<(String, SecretKind), Secret>>,
    /// When set, every call fails as an unreachable keychain does.
    pub unavailable: bool,
}

impl MemoryKeychain {
    pub fn unavailable() -> Self {
        MemoryKeychain {
            unavailable: true,
            ..Default::default()
        }
    }
    fn check(&self, op: Op) -> Result<()> {
        if self.unavailable {
            return Err(unavailable(op));
        }
        Ok(())
    }
}

impl SecretStore for MemoryKeychain {
    fn get(&self, id: &str, kind: SecretKind) -> Result<Option<Secret>> {
        self.check(Op::Read)?;
        Ok(self
            .entries
            .lock()
            .unwrap()
            .get(&(id.to_string(), kind))
            .cloned())
    }
    fn set(&self, id: &str, kind: SecretKind, value: &Secret) -> Result<()> {
        self.check(Op::Save)?;
        self.entries
            .lock()
            .unwrap()
            .insert((id.to_string(), kind), value.clone());
        Ok(())
    }
    fn delete(&self, id: &str, kind: SecretKind) -> Result<()> {
        self.check(Op::Delete)?;
        self.entries.lock().unwrap().remove(&(id.to_string(), kind));
        Ok(())
    }
    fn describe(&self) -> String {
        "in-memory test keychain".into()
    }
}

/// The secrets of a running Grantry: the keychain (the OS one, or the store given for tests) and
/// the secrets the user chose to keep for this process only. Keychain calls block, so they run on
/// the blocking pool.
pub struct Vault {
    store: std::sync::Arc<dyn SecretStore>,
    session: Mutex<HashMap<(String, SecretKind), Secret>>,
}

impl Vault {
    pub fn new(store: std::sync::Arc<dyn SecretStore>) -> Self {
        Vault {
            store,
            session: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` against the keychain off the async threads.
    pub async fn keychain<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn SecretStore) -> Result<T> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| Error::internal(format!("keychain task failed: {e}")))?
    }

    pub fn session_get(&self, id: &str, kind: SecretKind) -> Option<Secret> {
        self.session
            .lock()
            .unwrap()
            .get(&(id.to_string(), kind))
            .cloned()
    }

    pub fn session_set(&self, id: &str, kind: SecretKind, value: Secret) {
        self.session
            .lock()
            .unwrap()
            .insert((id.to_string(), kind), value);
    }

    pub fn session_remove(&self, id: &str, kind: SecretKind) {
        self.session.lock().unwrap().remove(&(id.to_string(), kind));
    }

    /// Forgets every session secret of an integration.
    pub fn session_forget(&self, id: &str) {
        self.session.lock().unwrap().retain(|(i, _), _| i != id);
    }

    fn role_account(integration_id: &str, role: &str) -> String {
        format!("{integration_id}/role/{role}")
    }

    /// Saves a password Grantry generated for `role`, next to the integration's secrets.
    pub async fn save_role_password(
        &self,
        integration_id: &str,
        role: &str,
        password: &Secret,
    ) -> Result<()> {
        let account = Self::role_account(integration_id, role);
        let value = password.clone();
        self.keychain(move |k| k.set(&account, SecretKind::Password, &value))
            .await
    }

    /// The password Grantry generated for `role` and kept in the keychain, if any.
    pub async fn role_password(&self, integration_id: &str, role: &str) -> Result<Option<Secret>> {
        let account = Self::role_account(integration_id, role);
        self.keychain(move |k| k.get(&account, SecretKind::Password))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert!(!format!("{:?}", Some(s.clone())).contains("hunter2"));
    }

    #[test]
    fn generated_passwords_differ() {
        let a = Secret::generate(24);
        let b = Secret::generate(24);
        assert_eq!(a.expose().len(), 24);
        assert_ne!(a, b);
    }

    #[test]
    fn an_unreachable_keychain_says_what_did_not_happen() {
        let k = MemoryKeychain::unavailable();
        let read = k.get("i", SecretKind::Password).unwrap_err();
        let save = k
            .set("i", SecretKind::Password, &Secret::new("x"))
            .unwrap_err();
        let delete = k.delete("i", SecretKind::Password).unwrap_err();
        for e in [&read, &save, &delete] {
            assert_eq!(e.code, ErrorCode::KeychainUnavailable);
        }
        assert!(read.message.contains("cannot be read"), "{}", read.message);
        assert!(save.message.contains("not saved"), "{}", save.message);
        assert!(delete.message.contains("not removed"), "{}", delete.message);
    }
}
