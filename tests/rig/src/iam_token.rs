//! RDS IAM authentication tokens, checked the way RDS checks them.
//!
//! A token is a SigV4 presigned URL without its scheme, for the `connect` action of the `rds-db`
//! service, signed with the caller's AWS credentials:
//!
//! ```text
//! host:port/?Action=connect&DBUser=<user>&X-Amz-Algorithm=AWS4-HMAC-SHA256
//!   &X-Amz-Credential=<access key>/<yyyymmdd>/<region>/rds-db/aws4_request
//!   &X-Amz-Date=<yyyymmddThhmmssZ>&X-Amz-Expires=900&X-Amz-SignedHeaders=host
//!   [&X-Amz-Security-Token=<session token>]&X-Amz-Signature=<hex>
//! ```
//!
//! [`verify`] parses such a token, checks every field against what the server expects (endpoint,
//! region, user, time) and recomputes the signature with the secret of the access key. Each way a
//! token can be wrong has its own [`Refusal`], so a test can tell "expired" from "wrong signature".

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;

/// The longest life of a token, whatever its X-Amz-Expires says: RDS documents tokens as valid
/// for 15 minutes (the rig's reading; a longer X-Amz-Expires is cut to this, not refused).
pub const MAX_LIFETIME_SECS: i64 = 900;

/// How far in the future X-Amz-Date may be (clock skew between client and server), as AWS allows
/// for signed requests.
pub const MAX_FUTURE_SKEW_SECS: i64 = 300;

/// The secret half of an access key, and the session token that goes with temporary credentials.
#[derive(Clone)]
pub struct Credential {
    pub secret_access_key: String,
    /// `Some` for temporary credentials (STS): the token must carry the same
    /// X-Amz-Security-Token. `None`: the token must carry none.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// What the server expects of a token.
pub struct Expected<'a> {
    /// `host:port` of the endpoint the server answers as (the DB instance's endpoint).
    pub endpoint: &'a str,
    pub region: &'a str,
    /// The user of the StartupMessage.
    pub user: &'a str,
    /// The server's clock.
    pub now: DateTime<Utc>,
    /// Access key id -> its credential.
    pub credentials: &'a HashMap<String, Credential>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not `host:port/?query`, a parameter missing or repeated, bad percent-encoding or dates.
    Malformed(String),
    /// Action is not `connect`.
    WrongAction(String),
    /// X-Amz-Algorithm is not AWS4-HMAC-SHA256.
    WrongAlgorithm(String),
    /// The credential scope's service is not `rds-db`.
    WrongService(String),
    /// The credential scope's region is not the server's.
    WrongRegion { token: String, expected: String },
    /// The credential scope's date is not the date of X-Amz-Date, or it does not end in
    /// `aws4_request`.
    BadScope(String),
    /// X-Amz-SignedHeaders is not `host`.
    WrongSignedHeaders(String),
    /// No credential is known for this access key id.
    UnknownAccessKey(String),
    /// DBUser is not the user logging in.
    WrongUser { token: String, login: String },
    /// The token was made for another `host:port`.
    WrongEndpoint { token: String, expected: String },
    /// X-Amz-Date plus X-Amz-Expires (at most 900 s) is past.
    Expired {
        expired_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    /// X-Amz-Date is more than 5 minutes ahead of the server's clock.
    NotYetValid {
        signed_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    /// The credential has a session token and the token carries none or another; or it carries one
    /// that the credential does not have.
    SessionTokenMismatch,
    /// The signature is not the one the secret of the access key gives.
    SignatureMismatch,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "malformed token: {why}"),
            Refusal::WrongAction(a) => write!(f, "action {a:?} is not \"connect\""),
            Refusal::WrongAlgorithm(a) => write!(f, "algorithm {a:?} is not AWS4-HMAC-SHA256"),
            Refusal::WrongService(s) => write!(f, "signed for service {s:?}, not \"rds-db\""),
            Refusal::WrongRegion { token, expected } => {
                write!(
                    f,
                    "signed for region {token:?}, the server is in {expected:?}"
                )
            }
            Refusal::BadScope(s) => write!(f, "bad credential scope {s:?}"),
            Refusal::WrongSignedHeaders(h) => write!(f, "signed headers {h:?}, not \"host\""),
            Refusal::UnknownAccessKey(k) => write!(f, "unknown access key {k:?}"),
            Refusal::WrongUser { token, login } => {
                write!(f, "token is for user {token:?}, login is {login:?}")
            }
            Refusal::WrongEndpoint { token, expected } => {
                write!(f, "token is for {token:?}, the server is {expected:?}")
            }
            Refusal::Expired { expired_at, now } => {
                write!(f, "token expired at {expired_at} (now {now})")
            }
            Refusal::NotYetValid { signed_at, now } => {
                write!(f, "token signed at {signed_at}, in the future (now {now})")
            }
            Refusal::SessionTokenMismatch => write!(f, "session token does not match"),
            Refusal::SignatureMismatch => write!(f, "signature does not match"),
        }
    }
}

/// A token taken apart (values percent-decoded).
#[derive(Debug, Clone)]
pub struct ParsedToken {
    /// `host:port` before `/?`.
    pub endpoint: String,
    /// Every query parameter but X-Amz-Signature, decoded, in the token's order.
    pub params: Vec<(String, String)>,
    pub signature: String,
}

impl ParsedToken {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn require(&self, key: &str) -> Result<&str, Refusal> {
        self.get(key)
            .ok_or_else(|| Refusal::Malformed(format!("no {key}")))
    }
}

/// Splits a token into its endpoint, parameters and signature.
pub fn parse(token: &str) -> Result<ParsedToken, Refusal> {
    let (endpoint, query) = token
        .split_once("/?")
        .ok_or_else(|| Refusal::Malformed("not host:port/?query".into()))?;
    if endpoint.is_empty() || !endpoint.contains(':') {
        return Err(Refusal::Malformed(format!(
            "endpoint {endpoint:?} is not host:port"
        )));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    let mut signature = None;
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode(k)?;
        let v = decode(v)?;
        if k == "X-Amz-Signature" {
            if signature.replace(v).is_some() {
                return Err(Refusal::Malformed("X-Amz-Signature repeated".into()));
            }
        } else {
            if params.iter().any(|(seen, _)| *seen == k) {
                return Err(Refusal::Malformed(format!("{k} repeated")));
            }
            params.push((k, v));
        }
    }
    let signature = signature.ok_or_else(|| Refusal::Malformed("no X-Amz-Signature".into()))?;
    Ok(ParsedToken {
        endpoint: endpoint.to_string(),
        params,
        signature,
    })
}

fn decode(s: &str) -> Result<String, Refusal> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Refusal::Malformed(format!("{s:?} is not UTF-8 once decoded")))
}

/// SigV4's URI encoding: everything but the unreserved characters A-Z a-z 0-9 - _ . ~ as %XX.
const SIGV4_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn sigv4_encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_ENCODE).to_string()
}

/// The SigV4 canonical request of a presigned GET of `https://<endpoint>/?<params>`: the only
/// signed header is `host`, and the payload is empty.
pub fn canonical_request(token: &ParsedToken) -> String {
    let mut pairs: Vec<(String, String)> = token
        .params
        .iter()
        .map(|(k, v)| (sigv4_encode(k), sigv4_encode(v)))
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let empty_payload = hex::encode(Sha256::digest(b""));
    format!(
        "GET\n/\n{}\nhost:{}\n\nhost\n{}",
        query.join("&"),
        token.endpoint,
        empty_payload
    )
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// SigV4: the signing key derived from the secret and the scope, then HMAC of the string to sign.
pub fn signature(
    secret: &str,
    amz_date: &str,
    scope_date: &str,
    region: &str,
    service: &str,
    canonical_request: &str,
) -> String {
    let scope = format!("{scope_date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), scope_date);
    let k_region = hmac(&k_date, region);
    let k_service = hmac(&k_region, service);
    let k_signing = hmac(&k_service, "aws4_request");
    hex::encode(hmac(&k_signing, &string_to_sign))
}

/// Checks a token as RDS does; on success returns the access key id that signed it.
///
/// Order of the checks: shape, action, algorithm, credential scope (service, region, date),
/// signed headers, access key, DBUser, endpoint, time, session token, signature. A token wrong in
/// several ways is refused for the first.
pub fn verify(token: &str, expected: &Expected) -> Result<String, Refusal> {
    let t = parse(token)?;
    let action = t.require("Action")?;
    if action != "connect" {
        return Err(Refusal::WrongAction(action.into()));
    }
    let algorithm = t.require("X-Amz-Algorithm")?;
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(Refusal::WrongAlgorithm(algorithm.into()));
    }
    let credential = t.require("X-Amz-Credential")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, scope_date, region, service, terminal] = scope[..] else {
        return Err(Refusal::BadScope(credential.into()));
    };
    if service != "rds-db" {
        return Err(Refusal::WrongService(service.into()));
    }
    if region != expected.region {
        return Err(Refusal::WrongRegion {
            token: region.into(),
            expected: expected.region.into(),
        });
    }
    let amz_date = t.require("X-Amz-Date")?;
    let signed_at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| Refusal::Malformed(format!("X-Amz-Date {amz_date:?}")))?
        .and_utc();
    if terminal != "aws4_request" || !amz_date.starts_with(scope_date) || scope_date.len() != 8 {
        return Err(Refusal::BadScope(credential.into()));
    }
    let signed_headers = t.require("X-Amz-SignedHeaders")?;
    if signed_headers != "host" {
        return Err(Refusal::WrongSignedHeaders(signed_headers.into()));
    }
    let cred = expected
        .credentials
        .get(access_key)
        .ok_or_else(|| Refusal::UnknownAccessKey(access_key.into()))?;
    let user = t.require("DBUser")?;
    if user != expected.user {
        return Err(Refusal::WrongUser {
            token: user.into(),
            login: expected.user.into(),
        });
    }
    if t.endpoint != expected.endpoint {
        return Err(Refusal::WrongEndpoint {
            token: t.endpoint.clone(),
            expected: expected.endpoint.into(),
        });
    }
    let expires: i64 = t
        .require("X-Amz-Expires")?
        .parse()
        .map_err(|_| Refusal::Malformed("X-Amz-Expires is not a number".into()))?;
    let expired_at = signed_at + chrono::Duration::seconds(expires.clamp(0, MAX_LIFETIME_SECS));
    if expected.now >= expired_at {
        return Err(Refusal::Expired {
            expired_at,
            now: expected.now,
        });
    }
    if signed_at > expected.now + chrono::Duration::seconds(MAX_FUTURE_SKEW_SECS) {
        return Err(Refusal::NotYetValid {
            signed_at,
            now: expected.now,
        });
    }
    if t.get("X-Amz-Security-Token") != cred.session_token.as_deref() {
        return Err(Refusal::SessionTokenMismatch);
    }
    let want = signature(
        &cred.secret_access_key,
        amz_date,
        scope_date,
        region,
        service,
        &canonical_request(&t),
    );
    // Not a timing-safe comparison: this is a test rig, not a server facing attackers.
    if !want.eq_ignore_ascii_case(&t.signature) {
        return Err(Refusal::SignatureMismatch);
    }
    Ok(access_key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Made by boto3 1.44's `generate_db_auth_token` (tests/rig/aws/rig_aws.py token) with the
    /// clock fixed at 2026-12-02 18:00:00 UTC.
    const BOTO3_TOKEN: &str = "localhost:5432/?Action=connect&DBUser=iam_user&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261202%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date=20261202T180000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=e4d2dce6288c6fd686b2c67b7760068f65c7020fac158226bc1ec4aa3cc1ec79";

    fn credentials(secret: &str) -> HashMap<String, Credential> {
        HashMap::from([(
            "AKIDEXAMPLE".to_string(),
            Credential {
                secret_access_key: secret.into(),
                session_token: None,
            },
        )])
    }

    fn check(token: &str, secret: &str, minute: u32) -> Result<String, Refusal> {
        verify(
            token,
            &Expected {
                endpoint: "localhost:5432",
                region: "eu-west-1",
                user: "iam_user",
                now: Utc.with_ymd_and_hms(2026, 12, 2, 18, minute, 0).unwrap(),
                credentials: &credentials(secret),
            },
        )
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn boto3_token_is_accepted_within_15_minutes() {
        assert_eq!(check(BOTO3_TOKEN, SECRET, 5).unwrap(), "AKIDEXAMPLE");
        assert_eq!(check(BOTO3_TOKEN, SECRET, 14).unwrap(), "AKIDEXAMPLE");
    }

    #[test]
    fn boto3_token_expires_after_15_minutes() {
        assert!(matches!(
            check(BOTO3_TOKEN, SECRET, 15),
            Err(Refusal::Expired { .. })
        ));
    }

    #[test]
    fn another_secret_gives_another_signature() {
        assert_eq!(
            check(BOTO3_TOKEN, "not-the-secret", 5),
            Err(Refusal::SignatureMismatch)
        );
    }

    #[test]
    fn a_changed_user_breaks_the_signature_not_only_the_user_check() {
        // Same login as the tampered DBUser: only the signature can catch it.
        let tampered = BOTO3_TOKEN.replace("DBUser=iam_user", "DBUser=iam_userx");
        let r = verify(
            &tampered,
            &Expected {
                endpoint: "localhost:5432",
                region: "eu-west-1",
                user: "iam_userx",
                now: Utc.with_ymd_and_hms(2026, 12, 2, 18, 1, 0).unwrap(),
                credentials: &credentials(SECRET),
            },
        );
        assert_eq!(r, Err(Refusal::SignatureMismatch));
    }

    #[test]
    fn malformed_tokens_are_refused_as_such() {
        for bad in ["", "password", "localhost:5432/?Action=connect", "/?a=b"] {
            assert!(
                matches!(check(bad, SECRET, 1), Err(Refusal::Malformed(_))),
                "{bad:?}"
            );
        }
    }
}
